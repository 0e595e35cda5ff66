"""Text to token ids and back: two tokenizers and a vocabulary.

    word_tokenize(text)      words and punctuation, lower-cased
    char_tokenize(text)      characters
    Vocab(tokens, ...)       token <-> id, with special tokens (<pad> is always id 0)

Notation: T tokens in one sequence, V tokens in the vocabulary. The loaders of
``rnn_course.datasets`` build a Vocab from each training split; chapters use
them through ``datasets`` (which re-exports these names).
"""

from __future__ import annotations

import re
from collections import Counter
from itertools import repeat
from typing import Iterable, Sequence

import numpy as np

from ._checks import check_int, check_one_of

#: The special tokens for padding (id 0 of every Vocab), an unknown word, and the begin and end of a sequence.
PAD, UNK, BOS, EOS = "<pad>", "<unk>", "<bos>", "<eos>"

__all__ = ["PAD", "UNK", "BOS", "EOS", "word_tokenize", "char_tokenize", "Vocab"]


# A word is a run of letters/digits/underscores, with inner apostrophes kept
# ("don't", "ishmael's"); every other non-space character is a token of its own.
_WORD_RE = re.compile(r"\w+(?:'\w+)*|[^\w\s]")


def word_tokenize(text: str) -> list[str]:
    """Split text into lowercase word and punctuation tokens.

    The rule, in full: lowercase the text, turn curly apostrophes (’) into
    straight ones, then take every run of letters and digits (with apostrophes
    inside a word kept, as in "don't") as one token and every other non-space
    character (punctuation, symbols) as a token of its own. Whitespace only
    separates tokens.

    >>> word_tokenize("Wow... Loved this place!")
    ['wow', '.', '.', '.', 'loved', 'this', 'place', '!']
    """
    if not isinstance(text, str):
        raise TypeError(f"word_tokenize: text must be a str, got {type(text).__name__}")
    return _WORD_RE.findall(text.lower().replace("\u2019", "'"))


def char_tokenize(text: str) -> list[str]:
    """Split text into its characters, unchanged (case, spaces and newlines kept).

    >>> char_tokenize("Call me")
    ['C', 'a', 'l', 'l', ' ', 'm', 'e']
    """
    if not isinstance(text, str):
        raise TypeError(f"char_tokenize: text must be a str, got {type(text).__name__}")
    return list(text)


_TOKENIZERS = {"word": word_tokenize, "char": char_tokenize}
_JOINERS = {"word": " ", "char": ""}


# ----------------------------------------------------------------- vocabulary
class Vocab:
    """A two-way map between tokens and integer ids 0..V-1.

    Ids are given to the specials first, in the order given (so ``<pad>``, if
    present, must come first and gets id 0, the value padding writes), then to
    the other tokens from the most to the least frequent (ties alphabetically).

    Inputs:

    - tokens: the training tokens to count, e.g. ``word_tokenize(text)``, a
      list of token lists (one per sentence), or, for level="char", a plain str.
    - specials: special tokens, usually some of "<pad>", "<unk>", "<bos>", "<eos>".
      With "<unk>" present, unknown tokens encode to its id; without it they
      raise ``ValueError``.
    - min_freq: tokens seen fewer times are left out (and become <unk>).
    - max_size: keep at most this many non-special tokens (the most frequent).
    - level: "word" or "char": how ``encode`` splits a str and ``decode`` joins.

    Attributes: ``itos`` (list, id -> token), ``stoi`` (dict, token -> id),
    ``specials``, ``level``, and ``pad_id``, ``unk_id``, ``bos_id``, ``eos_id``
    (None when that special is absent). ``len(vocab)`` is V.
    """

    def __init__(self, tokens: Iterable, specials: Sequence[str] = (PAD, UNK),
                 min_freq: int = 1, max_size: int | None = None, level: str = "word"):
        fn = "Vocab"
        check_one_of(fn, "level", level, tuple(_TOKENIZERS))
        min_freq = check_int(fn, "min_freq", min_freq, 1)
        if max_size is not None:
            max_size = check_int(fn, "max_size", max_size, 0)
        if isinstance(specials, str) or not all(isinstance(s, str) for s in specials):
            raise TypeError(f"{fn}: specials must be a sequence of strings such as ('<pad>', '<unk>'), "
                            f"got {specials!r}")
        specials = tuple(specials)
        if len(set(specials)) != len(specials):
            raise ValueError(f"{fn}: specials contains a duplicate: {specials!r}")
        if PAD in specials and specials[0] != PAD:
            raise ValueError(f"{fn}: '<pad>' must be the first special so that its id is 0, "
                             f"got specials={specials!r}")
        if isinstance(tokens, str) and level == "word":
            raise TypeError(f"{fn}: tokens is a str; for level='word' pass a list of tokens, "
                            "e.g. word_tokenize(text)")
        counts: Counter = Counter(tokens) if isinstance(tokens, str) else Counter()  # a str: its characters
        for item in () if isinstance(tokens, str) else tokens:
            if isinstance(item, str):
                counts[item] += 1
            elif isinstance(item, (list, tuple)) and all(isinstance(t, str) for t in item):
                counts.update(item)
            else:
                raise TypeError(f"{fn}: tokens must be strings or lists of strings, "
                                f"found {type(item).__name__} {item!r}")
        ranked = sorted((t for t, c in counts.items() if c >= min_freq and t not in specials),
                        key=lambda t: (-counts[t], t))
        if max_size is not None:
            ranked = ranked[:max_size]
        self.level = level
        self.specials = specials
        self.itos: list[str] = list(specials) + ranked
        self.stoi: dict[str, int] = {t: i for i, t in enumerate(self.itos)}
        self.pad_id, self.unk_id, self.bos_id, self.eos_id = (self.stoi.get(s) for s in (PAD, UNK, BOS, EOS))

    def __len__(self) -> int:
        return len(self.itos)

    def __contains__(self, token) -> bool:
        return token in self.stoi

    def __repr__(self) -> str:
        return f"Vocab(V={len(self)}, level={self.level!r}, specials={self.specials!r})"

    def encode(self, tokens, add_bos: bool = False, add_eos: bool = False) -> list[int]:
        """Token ids of a text or a token list.

        Inputs:

        - tokens: a str (split with this vocabulary's tokenizer: words or
          characters) or a list of T tokens.
        - add_bos, add_eos: put the <bos> id first / the <eos> id last.

        Returns a list of T ints (T+1 or T+2 with add_bos/add_eos). A token not
        in the vocabulary becomes <unk>, or raises ``ValueError`` without one.
        """
        fn = "Vocab.encode"
        if isinstance(tokens, str):
            tokens = _TOKENIZERS[self.level](tokens)
        elif not isinstance(tokens, (list, tuple)) or not all(isinstance(t, str) for t in tokens):
            raise TypeError(f"{fn}: tokens must be a str or a list of str tokens, "
                            f"got {type(tokens).__name__}")
        for flag, tok, tid in (("add_bos", BOS, self.bos_id), ("add_eos", EOS, self.eos_id)):
            if (add_bos if flag == "add_bos" else add_eos) and tid is None:
                raise ValueError(f"{fn}: {flag}=True but this vocabulary has no {tok!r} "
                                 f"(its specials are {self.specials!r})")
        ids = [self.bos_id] if add_bos else []
        ids += map(self.stoi.get, tokens, repeat(self.unk_id, len(tokens)))  # None: unknown and no <unk>
        if self.unk_id is None and None in ids:
            t = tokens[ids.index(None) - add_bos]
            raise ValueError(f"{fn}: token {t!r} is not in the vocabulary and there is no "
                             "'<unk>' to map it to; build the Vocab with specials including '<unk>'")
        if add_eos:
            ids.append(self.eos_id)
        return ids

    def to_tokens(self, ids, skip_specials: bool = False) -> list[str]:
        """The tokens of a sequence of ids.

        Inputs:

        - ids: (T,) integer ids (a list or a 1-D array), each in 0..V-1, e.g.
          one row of an (N, T) batch.
        - skip_specials: leave out <pad>, <bos> and <eos> (<unk> is kept, so
          that unknown words stay visible).

        Returns a list of T str (fewer with skip_specials).
        """
        fn = "Vocab.to_tokens"
        arr = np.asarray(ids)
        if arr.ndim != 1:
            raise ValueError(f"{fn}: ids has shape {arr.shape}; expected (T,), one sequence of ids")
        if arr.size and not np.issubdtype(arr.dtype, np.integer):
            raise TypeError(f"{fn}: ids must be integers, got dtype {arr.dtype}")
        bad = np.flatnonzero((arr < 0) | (arr >= len(self)))
        if bad.size:
            k = int(bad[0])
            raise ValueError(f"{fn}: ids[{k}] = {int(arr[k])} is outside 0..V-1 for this vocabulary "
                             f"of V = {len(self)}")
        skip = {self.pad_id, self.bos_id, self.eos_id} - {None} if skip_specials else set()
        return [self.itos[i] for i in arr.tolist() if i not in skip]

    def decode(self, ids, skip_specials: bool = False) -> str:
        """The text of a sequence of ids: tokens joined by spaces (words) or nothing (chars).

        Inputs: as for ``to_tokens``: ids (T,), skip_specials. For a char vocabulary and text made of
        known characters, ``decode(encode(text)) == text``; for words it gives
        ``" ".join(word_tokenize(text))``.
        """
        return _JOINERS[self.level].join(self.to_tokens(ids, skip_specials=skip_specials))
