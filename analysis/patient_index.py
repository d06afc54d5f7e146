"""Where each patient's rows are in a study's tables, so one patient is found without scanning the cohort.

For every table of a :class:`analysis.study.Study` the index holds the row positions grouped by
patient (a stable ``argsort`` of the rows' patient numbers) and, per patient, where its group starts
and ends.  Tables keyed by ``sample_id`` are mapped to patients through the samples table.  One
patient's rows are then a slice, whatever the cohort size; rows whose sample or patient is not in
the study belong to no patient.

The index is built once per study (about 0.2 s at 10,000 patients) and kept in the study's snapshot
(:mod:`analysis.snapshot`), so a start from a snapshot does not even build it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

#: Tables with a ``patient_id`` column.
PATIENT_TABLES = ("patients", "samples", "timeline")
#: Tables with a ``sample_id`` column (mapped to patients through the samples table).
SAMPLE_TABLES = ("variants", "copy_number", "structural_variants", "gene_panels", "case_lists", "segments")


@dataclass(frozen=True)
class PatientIndex:
    """Row positions by patient, per table.

    Attributes
    ----------
    patient_ids
        Every patient of the patients and samples tables, sorted (the patient numbers index it).
    order
        Per table: its row positions sorted by patient number (stable: a patient's rows keep their order).
    bounds
        Per table: ``len(patient_ids) + 1`` offsets into ``order``; patient *i*'s rows are
        ``order[bounds[i]:bounds[i + 1]]``.
    """

    patient_ids: np.ndarray
    order: Mapping[str, np.ndarray]
    bounds: Mapping[str, np.ndarray]

    @classmethod
    def build(cls, tables: Mapping[str, pd.DataFrame]) -> PatientIndex:
        """Index *tables* (the study's tables by name; the samples table maps samples to patients)."""
        samples = tables["samples"]
        ids = pd.concat([tables["patients"]["patient_id"], samples["patient_id"]]).dropna().astype(str)
        patient_ids = np.array(sorted(set(ids)), dtype=object)
        categories = pd.Index(patient_ids)
        sample_patient = pd.Series(samples["patient_id"].astype(object).to_numpy(),
                                   index=samples["sample_id"].astype(object).to_numpy())
        sample_patient = sample_patient[~sample_patient.index.duplicated(keep="first")]
        order: dict[str, np.ndarray] = {}
        bounds: dict[str, np.ndarray] = {}
        for name, frame in tables.items():
            if name in PATIENT_TABLES:
                keys = frame["patient_id"].astype(object)
            elif name in SAMPLE_TABLES:
                keys = frame["sample_id"].astype(object).map(sample_patient)
            else:
                continue
            codes = categories.get_indexer(keys.to_numpy())
            table_order = np.argsort(codes, kind="stable").astype(np.int64)
            order[name] = table_order
            bounds[name] = np.searchsorted(codes[table_order], np.arange(len(patient_ids) + 1)).astype(np.int64)
        return cls(patient_ids=patient_ids, order=order, bounds=bounds)

    def rows(self, table: str, patient_ids: Iterable[str]) -> np.ndarray:
        """Positions of *patient_ids*' rows in *table*, ascending (unknown patients have none)."""
        requested = np.array(sorted(set(map(str, patient_ids))), dtype=object)
        n = len(self.patient_ids)
        at = np.searchsorted(self.patient_ids, requested)
        found = at[(at < n) & (self.patient_ids[np.minimum(at, n - 1)] == requested)] if n else at[:0]
        order, bounds = self.order[table], self.bounds[table]
        parts = [order[bounds[i]:bounds[i + 1]] for i in found]
        return np.sort(np.concatenate(parts)) if parts else np.empty(0, dtype=np.int64)

    def take(self, table: str, frame: pd.DataFrame, patient_ids: Iterable[str]) -> pd.DataFrame:
        """*frame* (the study's *table*) restricted to *patient_ids*, in its own row order, index reset."""
        return frame.take(self.rows(table, list(patient_ids))).reset_index(drop=True)

    def covers(self, tables: Mapping[str, pd.DataFrame]) -> bool:
        """True when the index was built for tables of these lengths (a cheap consistency check)."""
        return all(name in self.order and len(self.order[name]) == len(frame)
                   for name, frame in tables.items() if name in PATIENT_TABLES + SAMPLE_TABLES)

    # ------------------------------------------------------------ storage (numpy arrays, no pickle)
    def to_arrays(self) -> dict[str, np.ndarray]:
        arrays = {"patient_ids": self.patient_ids.astype(str)}
        for name in self.order:
            arrays[f"order:{name}"] = self.order[name]
            arrays[f"bounds:{name}"] = self.bounds[name]
        return arrays

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray]) -> PatientIndex:
        names = [key.split(":", 1)[1] for key in arrays if key.startswith("order:")]
        return cls(patient_ids=np.asarray(arrays["patient_ids"]).astype(object),
                   order={name: np.asarray(arrays[f"order:{name}"]) for name in names},
                   bounds={name: np.asarray(arrays[f"bounds:{name}"]) for name in names})
