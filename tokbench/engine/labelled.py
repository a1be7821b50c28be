"""A text column of millions of rows held as small codes into its few labels, made a string column once.

A long simulation's steps table has millions of rows whose `kind` and `layout` take two or three
values: an object array of Python strings, turned into pandas strings one by one, took seconds;
codes become an Arrow string array in one dictionary decode.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

STRING_DTYPE = pd.Series(["text"]).dtype  # what a column of Python strings becomes (pandas' default string type)


class Labelled(NamedTuple):
    codes: np.ndarray  # int8, one a row: an index into labels
    labels: list[str]

    @staticmethod
    def of(values, labels: list[str] | None = None) -> Labelled:
        """Codes of a few distinct strings (`labels`: sorted values unless given)."""
        labels = sorted(set(values)) if labels is None else labels
        code = {label: i for i, label in enumerate(labels)}
        return Labelled(np.fromiter((code[v] for v in values), dtype=np.int8, count=len(values)), labels)

    def strings(self) -> pd.api.extensions.ExtensionArray:
        """The column as pandas strings, the type a DataFrame of Python strings would have."""
        try:
            import pyarrow as pa
        except ImportError:  # no Arrow (results then go to CSV, results/format.py): from Python strings
            pa = None
        if STRING_DTYPE == object or pa is None:  # (pandas 2 keeps Python strings anyway)
            return pd.array(np.asarray(self.labels, dtype=object)[self.codes], dtype=STRING_DTYPE)
        decoded = pa.DictionaryArray.from_arrays(pa.array(self.codes), pa.array(self.labels, pa.large_string()))
        return pd.array(decoded.dictionary_decode(), dtype=STRING_DTYPE)


def merged(first: Labelled, second: Labelled, at_first: np.ndarray, at_second: np.ndarray, size: int) -> Labelled:
    """Rows of `first` at positions at_first and of `second` at at_second, in one column of `size` rows."""
    labels = sorted(set(first.labels) | set(second.labels))
    codes = np.empty(size, dtype=np.int8)
    for part, at in ((first, at_first), (second, at_second)):
        recode = np.asarray([labels.index(label) for label in part.labels], dtype=np.int8)
        codes[at] = recode[part.codes]
    return Labelled(codes, labels)
