"""Two synthetic data sets, generated on the fly from a seed: named-entity
tagging and date normalisation.

No open named-entity corpus and no date corpus can be had offline, so both
tasks are *made*: the sentences and date strings below are synthetic, written
by templates, not taken from any text. What is real are the entity lists they
are filled with: US-census first names (``datasets.first_names``) and GeoNames
city names (``datasets.load_cities``), both bundled with the package.

Named entities (many-to-many, aligned), in ``rnn_course.synthetic.ner``:
    make_ner(n, seed)            -> TaggedSentences(sentences, tags, templates)
    load_ner(seed=0, n=...)      -> NERDataset (train/val/test, word and tag Vocabs)
    entity_spans(tags)           -> the entities of one tag sequence
Date normalisation (encoder-decoder, translation-like), in ``rnn_course.synthetic.dates``:
    make_dates(n, seed)          -> DatePairs(sources, targets, formats, dates)
    load_dates(seed=0, n=...)    -> DateDataset (train/val/test, char Vocabs)

Letters, as everywhere in the book: N number of examples, T tokens of a
sentence (padded), S source characters, T' target characters.
"""

from .dates import (DATE_FORMATS, FIRST_DATE, LAST_DATE, DateDataset, DatePairs, DateSplit, load_dates,
                    make_dates, parse_two_digit_year)
from .ner import (AMBIGUOUS_NAMES, CONTEXT_TEMPLATES, NER_TEMPLATES, SURNAMES, TAGS, NERDataset, NERSplit,
                  TaggedSentences, entity_spans, load_ner, make_ner)

# The submodules are the documented homes of these names (the API reference
# lists them there); the package re-exports them, so synthetic.load_ner works.
__all__ = ["ner", "dates"]
