"""``tipline interpreters`` and ``tipline cases`` as an operator runs them (real subprocesses)."""

from __future__ import annotations



from tests.tipline.test_cli import init, run


def test_an_admin_sets_an_interpreters_languages_and_bad_codes_are_refused(cli_env: dict[str, str]) -> None:
    admin_pass = init(cli_env)
    lena_pass = "lena's own passphrase"
    run(cli_env, "staff", "add", "lena", stdin=f"{lena_pass}\n{lena_pass}\n{admin_pass}\n")
    done = run(cli_env, "interpreters", "set", "lena", "es", "uk", stdin=admin_pass + "\n")
    assert "lena translates: es, uk." in done.stdout
    assert run(cli_env, "interpreters", "list").stdout.splitlines() == ["username\tlanguage", "lena\tes", "lena\tuk"]
    bad = run(cli_env, "interpreters", "set", "lena", "xx-nonsense", stdin=admin_pass + "\n", check=False)
    assert bad.returncode != 0 and "not a language code" in bad.stderr
    wrong = run(cli_env, "interpreters", "set", "lena", "es", stdin="not the passphrase\n", check=False)
    assert wrong.returncode != 0 and "Wrong passphrase" in wrong.stderr
    run(cli_env, "interpreters", "set", "lena", stdin=admin_pass + "\n")
    assert run(cli_env, "interpreters", "list").stdout.splitlines() == ["username\tlanguage"]
    assert run(cli_env, "cases", "held").stdout == ""
