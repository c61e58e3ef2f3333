"""Turn message ids into reply texts, option lists and Telegram buttons.

Every word comes from the catalogs; this module only arranges them.  Replies are
packed so that none exceeds three SMS segments (DESIGN.md, "The conversation
contract"): parts that fit together share one reply, others get their own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Mapping

from bot.catalog import Catalogs
from bot.flow import YN_KEYS, Option, Step
from bot.options import options_for
from bot.segments import fits
from bot.types import Button, Region, Reply
from bot.words import Lookup, Vocabulary, canon

PARTNER_PREFIX = "partner."
ENGLISH = "en"
SELECTED_MARK = "\u2713 "  # Telegram only: button labels never travel by SMS
DONE_DATA = "done"
TOGGLE = "t"


class _Params(dict[str, str]):
    """Leaves an unknown {placeholder} as it is instead of raising."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


@dataclass(frozen=True)
class Renderer:
    catalogs: Catalogs
    default_locale: str
    vocabularies: Mapping[str, Vocabulary] = field(default_factory=dict, repr=False, compare=False)
    _words_cache: dict[tuple[str, str, str], Lookup] = field(default_factory=dict, repr=False, compare=False)
    _question_cache: dict[tuple[object, ...], str] = field(default_factory=dict, repr=False, compare=False)

    def text(self, locale: str, msgid: str, **params: str) -> str:
        raw = self.catalogs.text(locale, msgid, self.default_locale)
        try:
            # A sentence placeholder may be empty (a region without a hotline): no dangling space.
            return raw.format_map(_Params(params)).rstrip()
        except (ValueError, IndexError, AttributeError):
            return raw  # a translator's stray brace must not break a reply

    def partners(self, locale: str, kinds: Iterable[str]) -> str:
        words = []
        for kind in kinds:
            msgid = PARTNER_PREFIX + kind
            has = self.catalogs.has(locale, msgid) or self.catalogs.has(self.default_locale, msgid)
            words.append(self.text(locale, msgid) if has else kind)
        return ", ".join(words)

    def label(self, locale: str, option: Option) -> str:
        return self.text(locale, option.text)

    def question(self, step: Step, locale: str, region: Region, params: Mapping[str, str]) -> str:
        """The question with its numbered options: inline for yes/no, one a line for menus.

        Rendered once per (step, locale, region, params): every typed answer asks one.
        """
        key = (step.id, locale, region.code, tuple(sorted(params.items())))
        cached = self._question_cache.get(key)
        if cached is None:
            cached = self._question_cache[key] = self._question(step, locale, region, params)
        return cached

    def _question(self, step: Step, locale: str, region: Region, params: Mapping[str, str]) -> str:
        head = self.text(locale, step.text, **params)
        options = options_for(step, region)
        if not options:
            return head
        items = [f"{n} {self.label(locale, o)}" for n, o in enumerate(options, start=1)]
        joiner = " " if step.type in YN_KEYS else "\n"
        return head + "\n" + joiner.join(items)

    def buttons(
        self, step: Step, locale: str, region: Region, selected: Iterable[str] = ()
    ) -> tuple[tuple[Button, ...], ...]:
        """Inline keyboard: answers for a single choice, toggles plus Done for a checklist."""
        options = options_for(step, region)
        if step.type == "checklist":
            chosen = set(selected)
            rows = [
                (Button(
                    label=(SELECTED_MARK if o.key in chosen else "") + self.label(locale, o),
                    data=f"{step.id}:{TOGGLE}:{o.key}",
                    selected=o.key in chosen,
                ),)
                for o in options
            ]
            rows.append((Button(label=self.text(locale, "btn.done"), data=f"{step.id}:{DONE_DATA}"),))
            return tuple(rows)
        buttons = [Button(label=self.label(locale, o), data=f"{step.id}:{o.key}") for o in options]
        if step.type in YN_KEYS:
            return (tuple(buttons),)
        return tuple((b,) for b in buttons)

    def answer_words(self, step: Step, locale: str, region: Region) -> Lookup:
        """Words that name an option: its label, parts of it, its key, and the words file's synonyms.

        Built once per (step, locale, region): the catalogs do not change while running,
        and this is on every typed answer's path.
        """
        key = (step.id, locale, region.code)
        cached = self._words_cache.get(key)
        if cached is None:
            cached = self._words_cache[key] = Lookup(self._answer_words(step, locale, region))
        return cached

    def _answer_words(self, step: Step, locale: str, region: Region) -> dict[str, str]:
        found: dict[str, set[str]] = {}

        def add(word: str, key: str) -> None:
            if canon(word):
                found.setdefault(canon(word), set()).add(key)

        full: dict[str, str] = {}
        # The reporter's locale's words and English's, never another locale's ("hindi" is
        # "no" in Tagalog; "pronto" is "soon" or "ready" depending on the language).
        vocabs = [self.vocabularies[lang] for lang in dict.fromkeys((locale, ENGLISH)) if lang in self.vocabularies]
        none_key = step.none_option.key if step.none_option is not None else None
        for option in options_for(step, region):
            label = canon(self.label(locale, option))
            full[label] = option.key
            add(option.key.replace("_", " "), option.key)
            for part in _parts(self.label(locale, option).casefold()):
                add(part, option.key)
            # yes/no/unsure words also serve choices keyed yes/no, such as V3.
            kind = "none" if option.key == none_key else option.key
            for vocab in vocabs:
                for word in (*vocab.answers.get(kind, ()), *vocab.options.get(step.id, {}).get(option.key, ())):
                    add(word, option.key)
        # A word shared by two options says nothing; a full label always wins.
        words = {w: next(iter(keys)) for w, keys in found.items() if len(keys) == 1}
        words.update(full)
        return words


def _parts(label: str) -> list[str]:
    """ "Farm, building site or factory" -> ["farm", "building site", "factory"]."""
    cleaned = label.replace("(", ",").replace(")", ",").replace("/", ",").replace(" or ", ",")
    return [p.strip() for p in cleaned.split(",") if p.strip()]


def pack(parts: list[str], buttons: tuple[tuple[Button, ...], ...] = ()) -> list[Reply]:
    """Join parts into as few replies as fit three segments; buttons go on the last."""
    texts: list[str] = []
    for part in (p for p in parts if p):
        if texts and fits(texts[-1] + "\n" + part):
            texts[-1] = texts[-1] + "\n" + part
        else:
            texts.append(part)
    if not texts:
        return []
    replies = [Reply(text=t) for t in texts]
    replies[-1] = Reply(text=texts[-1], buttons=buttons)
    return replies
