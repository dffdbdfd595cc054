"""A campaign that persists: recipes, proposals, raw files and target values in one store.

A lab runs a campaign for weeks: proposals go out, films are made, raw files come back,
targets are computed, new proposals follow. :class:`Campaign` is that loop over a
:class:`~ionopt.campaign.store.Store` (SQLite file by default, PostgreSQL for a shared lab)::

    camp = Campaign.create("bn-cse", "space.yaml", seed_data="seed.csv")
    batch = camp.propose(4, seed=1)          # stored as pending, returned in grams
    camp.add("results.csv")                  # typed-in targets for B001-01 ...
    camp.add_raw("manifest.csv")             # raw EIS files -> conductivity, hashed
    camp.to_frame()                          # one row per film, replicates aggregated

Rules the store keeps
---------------------
* Every write is one transaction. ``propose`` reads the state, runs the optimizer and
  writes the batch in one transaction holding the campaign's lock, so two processes
  proposing at once get distinct batches, the second aware of the first's pending films.
* Every number traces back to where it came from: a raw file (path, sha256, size) or a
  line of a typed-in results file (path, sha256, line), with the analysis method, ionopt
  version and QC flags.
* The same raw file (by sha256) or the same typed row cannot be stored twice; adding it
  again for the same film is reported as skipped, for another film it is an error. A
  measurement of several files (``transference``: i-t plus EIS before and after) keeps
  every file's path, sha256 and size, and none of its files may belong to another one.
* A result for an unknown film is an error; a result for a proposal moves it to
  ``measured``.
* A target value, typed or computed from a raw file, must be physically plausible
  (:data:`~ionopt.campaign._tables.TARGET_LIMITS`: conductivity in (0, 1] S/cm, transference
  number in [0, 1]...). A column one letter or unit away from a target, parameter or id
  column (``conductivty_s_cm``) is refused as a typo; other extra columns are kept as
  notes (as recipe fields of new films). A new film outside the search space is stored
  with a warning: the lab made it.
* Values measured at a temperature other than the campaign's reference temperature
  (default 25 °C, ±0.5 °C; blank means the reference) are kept but not aggregated into
  the table the optimizer sees.
"""

from __future__ import annotations

import difflib
import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

import numpy as np
import pandas as pd
from sqlalchemy import Connection, func, select, update

from ionopt._version import __version__
from ionopt.campaign import schema as S
from ionopt.campaign._tables import (CONDITION_COLUMNS, ID_COLUMNS, KNOWN_TARGETS,
                                     PROPOSAL_OUTPUT_COLUMNS, check_target, clean,
                                     content_hash, file_digest, is_blank, number,
                                     ordered_union, read_table, where)
from ionopt.campaign.raw import (ALIASES, FILE_COLUMNS, GEOMETRY_COLUMNS, KINDS, get_kind,
                                 parse_number)
from ionopt.analysis.batch import QC_SEPARATOR
from ionopt.campaign.store import Store, now, resolve_db
from ionopt.errors import DataError, IonoptError, StoreError
from ionopt.recipes import DERIVED_COLUMNS, add_derived_columns

MASS_COLUMNS = ("filler_g", "litfsi_g", "pvdf_hfp_g")
RECIPE_KEY_COLUMNS = ("filler", *MASS_COLUMNS)
DEFAULT_REFERENCE_TEMPERATURE_C = 25.0
TEMPERATURE_TOLERANCE_C = 0.5
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,199}$")
MAX_REPORTED_ERRORS = 20
#: How alike (difflib ratio) a column must be to a known name to be refused as its typo:
#: catches a dropped letter or a wrong unit (conductivty_s_cm, litfsi_mg, capacity_mah),
#: not other quantities (filler_type, solvent_ml, pressing_pressure_mpa).
TYPO_CUTOFF = 0.8


@dataclass
class AddReport:
    """What :meth:`Campaign.add` / :meth:`Campaign.add_raw` did.

    Attributes
    ----------
    added : list of dict
        One entry per stored measurement (``line``, ``sample_id``, ``measurement_id``,
        ``kind``, target values).
    skipped : list of str
        Rows not stored, with the reason (already in the store, no value...).
    errors : list of str
        Bad rows (``add_raw`` only: ``add`` raises on the first bad table instead).
    notes : list of str
        Columns that are not a target or parameter, and where they were kept (``add``).
    warnings : list of str
        New films whose recipe lies outside the search space, stored all the same (``add``).
    measured : list of str
        Sample ids of proposals moved to ``measured``.
    new_recipes : list of str
        Films added to the campaign by this call (seed rows, ``allow_new``).
    """

    added: list[dict] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    measured: list[str] = field(default_factory=list)
    new_recipes: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when no row was bad."""
        return not self.errors


@dataclass
class CampaignStatus:
    """The state of a campaign (see :meth:`Campaign.status`)."""

    name: str
    store: str
    counts: dict[str, int]
    best: pd.DataFrame
    pareto: pd.DataFrame
    pending: pd.DataFrame
    batches: pd.DataFrame
    history: pd.DataFrame

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready mapping of everything above."""
        def records(frame: pd.DataFrame) -> list[dict]:
            return [clean(r) for r in frame.to_dict(orient="records")]

        return {"name": self.name, "store": self.store, "counts": dict(self.counts),
                "best": records(self.best), "pareto": records(self.pareto),
                "pending": records(self.pending), "batches": records(self.batches)}


def _default_proposer() -> Callable[..., pd.DataFrame]:
    try:
        from ionopt.optimizer import propose
    except ImportError as err:
        raise StoreError(f"this ionopt has no optimizer yet ({err}); campaign propose needs "
                         "ionopt.optimizer.propose") from None
    return propose


def _load_space(space: Any):
    from ionopt.optimizer.space import SearchSpace

    if isinstance(space, SearchSpace):
        return space
    if isinstance(space, Mapping):
        return SearchSpace.from_dict(dict(space))
    return SearchSpace.from_yaml(space)


class Campaign:
    """A persistent optimization campaign (open with :meth:`open`, start with :meth:`create`).

    Attributes
    ----------
    name : str
    space : ionopt.optimizer.SearchSpace
        The search space, with its objectives, as stored at creation.
    reference_temperature_c : float or None
        Temperature whose values are aggregated for the optimizer (None: all).
    store : Store
    """

    def __init__(self, store: Store, row: Mapping[str, Any]) -> None:
        self.store = store
        self.id = int(row["id"])
        self.name = str(row["name"])
        self.space = _load_space(row["space"])
        self.reference_temperature_c = row["reference_temperature_c"]
        self.created_at = row["created_at"]

    # ---- life cycle ----------------------------------------------------------------------
    @classmethod
    def create(cls, name: str, space: Any, *, db: str | os.PathLike[str] | None = None,
               seed_data: pd.DataFrame | str | os.PathLike[str] | None = None,
               reference_temperature_c: float | None = DEFAULT_REFERENCE_TEMPERATURE_C,
               ) -> "Campaign":
        """Start a campaign (and the store, if new) in one transaction.

        Parameters
        ----------
        name : str
            Letters, digits, ``_ . -`` (unique in the store).
        space : SearchSpace, mapping or path to a space YAML
            Must define objectives.
        db : str or path, optional
            Store URL or SQLite path; default ``$IONOPT_DB`` or ``<name>.ionopt.db`` next
            to ``seed_data`` (when a file) or in the current directory.
        seed_data : DataFrame or path, optional
            Films already measured (recipe columns + targets, optional ``sample_id``);
            stored as seed recipes with typed measurements.
        reference_temperature_c : float or None
            Temperature whose values the optimizer sees (default 25 °C; None = all).
        """
        if not isinstance(name, str) or not _NAME.match(name):
            raise DataError(f"campaign name: expected letters, digits, '_', '.', '-' (at most "
                            f"200, starting with a letter or digit), got {name!r}")
        space_obj = _load_space(space)
        objectives = space_obj.require_objectives()
        near = seed_data if isinstance(seed_data, (str, os.PathLike)) else None
        if near is not None and not Path(near).exists():
            raise DataError(f"{near}: no such file; expected the seed data CSV")
        url = resolve_db(db, name=name, near=near, create=True)
        ref = None if reference_temperature_c is None else number(
            reference_temperature_c, "reference_temperature_c", allow_blank=False)
        store = Store(url, create=True)
        try:
            with store.write() as conn:
                taken = conn.execute(select(S.campaign.c.id).where(S.campaign.c.name == name)
                                     ).first()
                if taken is not None:
                    raise StoreError(f"{store.where}: campaign {name!r} already exists; "
                                     "open it, or choose another name")
                row = {"name": name, "space": clean(space_obj.to_dict()),
                       "objectives": clean(objectives.to_list()),
                       "reference_temperature_c": ref, "created_at": now(),
                       "ionopt_version": __version__}
                cid = conn.execute(S.campaign.insert(), row).inserted_primary_key[0]
                camp = cls(store, {**row, "id": cid})
                if seed_data is not None:
                    camp.seed_report = camp._add_typed(conn, seed_data, allow_new=True,
                                                       origin="seed")
        except BaseException:
            store.dispose()
            raise
        return camp

    @classmethod
    def open(cls, name: str | None = None, *, db: str | os.PathLike[str] | None = None
             ) -> "Campaign":
        """Open a campaign of an existing store (``name`` may be omitted when it holds one)."""
        store = Store(resolve_db(db, name=name), create=False)
        try:
            with store.read() as conn:
                rows = conn.execute(select(S.campaign)).mappings().all()
            if name is None:
                if len(rows) != 1:
                    names = ", ".join(r["name"] for r in rows) or "none"
                    raise StoreError(f"{store.where}: holds {len(rows)} campaigns ({names}); "
                                     "name the one to open (--campaign NAME)")
                row = rows[0]
            else:
                found = [r for r in rows if r["name"] == name]
                if not found:
                    names = ", ".join(r["name"] for r in rows) or "none"
                    raise StoreError(f"{store.where}: no campaign {name!r} (campaigns: "
                                     f"{names})")
                row = found[0]
            return cls(store, row)
        except BaseException:
            store.dispose()
            raise

    def close(self) -> None:
        """Release the store's connections."""
        self.store.dispose()

    def __enter__(self) -> "Campaign":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Campaign({self.name!r}, store={self.store.where!r})"

    @property
    def objectives(self):
        """The campaign's :class:`~ionopt.optimizer.objectives.Objectives`."""
        return self.space.require_objectives()

    @property
    def targets(self) -> list[str]:
        """Target columns the campaign recognises (objectives first)."""
        return ordered_union([self.objectives.targets, KNOWN_TARGETS])

    # ---- reading -------------------------------------------------------------------------
    def _recipes(self, conn: Connection) -> pd.DataFrame:
        rows = conn.execute(select(S.recipe).where(S.recipe.c.campaign_id == self.id)
                            .order_by(S.recipe.c.id)).mappings().all()
        records = []
        for r in rows:
            rec = {"recipe_id": r["id"], "sample_id": r["sample_id"], "origin": r["origin"]}
            for col in RECIPE_KEY_COLUMNS:
                rec[col] = r[col]
            rec.update({k: v for k, v in (r["params"] or {}).items() if k not in rec})
            records.append(rec)
        frame = pd.DataFrame.from_records(records, columns=None if records else
                                          ["recipe_id", "sample_id", "origin",
                                           *RECIPE_KEY_COLUMNS])
        props = conn.execute(
            select(S.proposal.c.recipe_id, S.proposal.c.id.label("proposal_id"),
                   S.batch.c.number.label("batch"), S.proposal.c.status,
                   S.proposal.c.acquisition)
            .join(S.batch, S.batch.c.id == S.proposal.c.batch_id)
            .where(S.proposal.c.campaign_id == self.id)).mappings().all()
        pmap = {p["recipe_id"]: p for p in props}
        frame.insert(3, "batch", [pmap[i]["batch"] if i in pmap else None
                                  for i in frame["recipe_id"]])
        frame.insert(4, "proposal_id", [pmap[i]["proposal_id"] if i in pmap else None
                                        for i in frame["recipe_id"]])
        frame.insert(5, "status", [pmap[i]["status"] if i in pmap else None
                                   for i in frame["recipe_id"]])
        for col in ("batch", "proposal_id"):
            frame[col] = frame[col].astype("Int64")
        return frame

    def _values(self, conn: Connection) -> pd.DataFrame:
        rows = conn.execute(
            select(S.target_value.c.recipe_id, S.target_value.c.measurement_id,
                   S.target_value.c.target, S.target_value.c.value,
                   S.target_value.c.temperature_c)
            .join(S.recipe, S.recipe.c.id == S.target_value.c.recipe_id)
            .where(S.recipe.c.campaign_id == self.id)
            .order_by(S.target_value.c.measurement_id, S.target_value.c.id)).all()
        return pd.DataFrame(rows, columns=["recipe_id", "measurement_id", "target", "value",
                                           "temperature_c"])

    def _frame(self, conn: Connection, temperature_c: float | None | str = "reference"
               ) -> pd.DataFrame:
        recipes = self._recipes(conn)
        values = self._values(conn)
        ref = self.reference_temperature_c if temperature_c == "reference" else temperature_c
        if ref is not None and len(values):
            t = values["temperature_c"].astype(float)
            keep = t.isna() | ((t - float(ref)).abs() <= TEMPERATURE_TOLERANCE_C) | (
                values["target"] == "failed")
            values = values[keep]
        failed = values[values["target"] == "failed"]
        numeric = values[values["target"] != "failed"]
        present = set(numeric["target"])
        targets = [t for t in self.targets if t in present or t in self.objectives.targets]
        targets += sorted(present - set(targets))
        grouped = numeric.groupby(["recipe_id", "target"])["value"]
        stats = pd.DataFrame({"mean": grouped.mean(), "std": grouped.std(ddof=1),
                              "n": grouped.count()})
        out = recipes.copy()
        for t in targets:
            sub = stats.xs(t, level="target") if t in present else stats.iloc[0:0]
            out[t] = out["recipe_id"].map(sub["mean"]).astype(float)
            out[f"{t}_std"] = out["recipe_id"].map(sub["std"]).astype(float)
            out[f"{t}_n"] = out["recipe_id"].map(sub["n"]).fillna(0).astype(int)
        out["failed"] = out["recipe_id"].isin(set(failed.loc[failed["value"] > 0, "recipe_id"]))
        n_meas = values.groupby("recipe_id")["measurement_id"].nunique()
        out["n_measurements"] = out["recipe_id"].map(n_meas).fillna(0).astype(int)
        return out

    def to_frame(self, *, temperature_c: float | None | str = "reference") -> pd.DataFrame:
        """One row per film: recipe, proposal status, targets aggregated over replicates.

        Columns: ``sample_id``, ``origin`` (seed/proposal/user), ``batch``,
        ``proposal_id``, ``status``, the recipe (masses in g and every parameter), then per
        target ``<target>`` (mean of replicates), ``<target>_std`` (sample std, NaN for one
        replicate) and ``<target>_n``; ``failed``; ``n_measurements``.

        Parameters
        ----------
        temperature_c : float, None or "reference"
            Aggregate values measured at this temperature (±0.5 °C; blank temperatures
            count as the reference); None aggregates every temperature.
        """
        with self.store.read() as conn:
            out = self._frame(conn, temperature_c)
        return out.drop(columns="recipe_id")

    def _optimizer_data(self, frame: pd.DataFrame) -> pd.DataFrame:
        names = list(self.space.names)
        targets = list(self.objectives.targets)
        has_value = frame[targets].notna().any(axis=1) | frame["failed"]
        measured = frame[has_value]
        cols = [c for c in ordered_union([["sample_id"], names, RECIPE_KEY_COLUMNS])
                if c in measured.columns]
        data = measured[cols].copy()
        for t in targets:
            data[t] = measured[t]
        data["failed"] = measured["failed"].astype(bool)
        return data.reset_index(drop=True)

    def data(self) -> pd.DataFrame:
        """The table the optimizer sees: measured films, parameters, objective targets."""
        with self.store.read() as conn:
            return self._optimizer_data(self._frame(conn))

    def pending(self) -> pd.DataFrame:
        """Proposals not measured yet (``proposed`` or ``made``), with their recipes."""
        with self.store.read() as conn:
            frame = self._frame(conn)
        return self._pending_of(frame)

    def _pending_of(self, frame: pd.DataFrame) -> pd.DataFrame:
        pending = frame[frame["status"].isin(S.PENDING_STATUSES)]
        cols = ordered_union([["proposal_id", "sample_id", "batch", "status"],
                              [c for c in self.space.names if c in pending.columns],
                              [c for c in RECIPE_KEY_COLUMNS if c in pending.columns]])
        return pending[cols].reset_index(drop=True)

    def proposals(self) -> pd.DataFrame:
        """Every proposal with its batch, status, acquisition, predictions and reason."""
        with self.store.read() as conn:
            rows = conn.execute(
                select(S.proposal, S.recipe.c.sample_id, S.batch.c.number.label("batch"))
                .join(S.recipe, S.recipe.c.id == S.proposal.c.recipe_id)
                .join(S.batch, S.batch.c.id == S.proposal.c.batch_id)
                .where(S.proposal.c.campaign_id == self.id).order_by(S.proposal.c.id)
            ).mappings().all()
        records = []
        for r in rows:
            rec = {"proposal_id": r["id"], "sample_id": r["sample_id"], "batch": r["batch"],
                   "rank": r["rank"], "status": r["status"], "backend": r["backend"],
                   "surrogate_fingerprint": r["surrogate_fingerprint"],
                   "acquisition": r["acquisition"], "reason": r["reason"],
                   "created_at": r["created_at"], "updated_at": r["updated_at"]}
            rec.update(r["predictions"] or {})
            records.append(rec)
        return pd.DataFrame.from_records(records)

    def batches(self) -> pd.DataFrame:
        """One row per ``propose`` call: backend, seed, fingerprint, data and pending seen."""
        with self.store.read() as conn:
            rows = conn.execute(select(S.batch).where(S.batch.c.campaign_id == self.id)
                                .order_by(S.batch.c.number)).mappings().all()
        cols = ["batch", "created_at", "backend", "seed", "n_requested", "n_data",
                "n_pending", "pending_proposal_ids", "surrogate_fingerprint", "ionopt_version"]
        return pd.DataFrame([{**{c: r[c] for c in cols if c != "batch"}, "batch": r["number"]}
                             for r in rows], columns=cols)

    def measurements(self) -> pd.DataFrame:
        """Every measurement with its provenance (file, hashes, method, QC) and values."""
        with self.store.read() as conn:
            return self._measurements(conn)

    def _measurements(self, conn: Connection) -> pd.DataFrame:
        rows = conn.execute(
            select(S.measurement, S.recipe.c.sample_id)
            .join(S.recipe, S.recipe.c.id == S.measurement.c.recipe_id)
            .where(S.measurement.c.campaign_id == self.id).order_by(S.measurement.c.id)
        ).mappings().all()
        values = self._values(conn)
        by_meas: dict[int, dict[str, float]] = {}
        for rec in values.itertuples(index=False):
            by_meas.setdefault(rec.measurement_id, {})[rec.target] = rec.value
        records = []
        for r in rows:
            rec = {"measurement_id": r["id"], "sample_id": r["sample_id"], "kind": r["kind"],
                   "file_path": r["file_path"], "file_sha256": r["file_sha256"],
                   "file_size_bytes": r["file_size_bytes"], "file_line": r["file_line"],
                   "content_sha256": r["content_sha256"], "temperature_c": r["temperature_c"],
                   "method": r["method"], "ionopt_version": r["ionopt_version"],
                   "qc_flags": QC_SEPARATOR.join(r["qc_flags"] or []), "created_at": r["created_at"]}
            rec.update({f"geometry.{k}": v for k, v in (r["geometry"] or {}).items()})
            rec.update({f"conditions.{k}": v for k, v in (r["conditions"] or {}).items()})
            for f in _input_files(r["derived"]):
                if f["role"] != "file":  # companions: eis_before_path, _sha256, _size_bytes
                    rec.update({f"{f['role']}_path": f.get("path"),
                                f"{f['role']}_sha256": f.get("sha256"),
                                f"{f['role']}_size_bytes": f.get("size_bytes")})
            rec.update(by_meas.get(r["id"], {}))
            records.append(rec)
        out = pd.DataFrame.from_records(records)
        for col in ("file_size_bytes", "file_line",
                    *(c for c in out.columns if c.endswith("_size_bytes"))):
            if col in out:
                out[col] = out[col].astype("Int64")
        return out

    # ---- writing: typed-in results -------------------------------------------------------
    def add(self, results: pd.DataFrame | str | os.PathLike[str], *,
            allow_new: bool = False) -> AddReport:
        """Store typed-in target values (one transaction for the whole table).

        Parameters
        ----------
        results : DataFrame or path to a CSV
            ``sample_id`` or ``proposal_id``, one or more target columns
            (``conductivity_s_cm``...), optional ``failed`` (true for a film that could not
            be made or measured), ``temperature_c`` and notes (``replicate``, ``note``...).
            Each row is one replicate; recipe columns, when given, must match the film.
        allow_new : bool
            Accept films the campaign does not know yet (all recipe columns required);
            otherwise an unknown film is an error.

        Returns
        -------
        AddReport

        Raises
        ------
        DataError
            Any bad row (every problem listed, one per line: a blank film, a value that is
            not a number or outside :data:`~ionopt.campaign._tables.TARGET_LIMITS`...), or
            a misspelt column; nothing is stored then.
        """
        with self.store.write() as conn:
            self.store.lock_campaign(conn, self.id)
            return self._add_typed(conn, results, allow_new=allow_new, origin="user")

    def _known(self, conn: Connection) -> tuple[dict[str, dict], dict[int, int]]:
        recipes = {}
        for r in conn.execute(select(S.recipe).where(S.recipe.c.campaign_id == self.id)
                              ).mappings():
            params = dict(r["params"] or {})
            params.update({c: r[c] for c in RECIPE_KEY_COLUMNS if r[c] is not None})
            recipes[r["sample_id"]] = {"id": r["id"], "params": params}
        by_proposal = {p.id: p.recipe_id for p in conn.execute(
            select(S.proposal.c.id, S.proposal.c.recipe_id)
            .where(S.proposal.c.campaign_id == self.id))}
        return recipes, by_proposal

    def _add_typed(self, conn: Connection, source: Any, *, allow_new: bool, origin: str
                   ) -> AddReport:
        table, name, path = read_table(source, "results")
        if len(table.columns) == 0 or len(table) == 0:
            raise DataError(f"{name}: no rows; expected a header and one row per measurement")
        self._refuse_typos(table.columns, name)
        file_sha, file_size = file_digest(path) if path is not None else (None, None)
        file_path = str(path.resolve()) if path is not None else None
        targets = [c for c in table.columns if c in self.targets]
        has_failed = "failed" in table.columns
        if not targets and not has_failed:
            raise DataError(f"{name}:1: no target column; expected one of "
                            f"{', '.join(self.targets)} (or 'failed')")
        id_col = next((c for c in ID_COLUMNS[::-1] if c in table.columns), None)
        if id_col is None and not allow_new:
            raise DataError(f"{name}:1: expected a sample_id or proposal_id column naming "
                            "the film each row belongs to")
        if origin == "seed" or allow_new:
            table = _with_derived(table)
        recipes, by_proposal = self._known(conn)
        id_to_sample = {v["id"]: k for k, v in recipes.items()}
        existing = {h for (h,) in conn.execute(
            select(S.measurement.c.content_sha256)
            .where(S.measurement.c.campaign_id == self.id))}
        param_cols = [c for c in table.columns if c in set(self.space.names)
                      or c in RECIPE_KEY_COLUMNS]
        condition_cols = [c for c in table.columns if c in CONDITION_COLUMNS]
        skip_cols = set(targets) | set(ID_COLUMNS) | {"failed"} | set(condition_cols)
        recipe_cols = [c for c in table.columns if c not in skip_cols]
        # Columns that are neither recipe, target nor condition: keep them as conditions
        # for known films (notes), as recipe fields for new ones.
        report = AddReport()
        extra_cols = [c for c in recipe_cols if c not in param_cols and c not in DERIVED_COLUMNS]
        if extra_cols:
            kept = ("with each film's recipe" if origin == "seed" else
                    "with the recipe of new films, as notes of the measurements of known "
                    "ones" if allow_new else "as notes with each measurement")
            report.notes.append(f"{name}:1: {', '.join(extra_cols)}: not a target or parameter "
                                f"of campaign {self.name!r}; kept {kept}")
        errors: list[str] = []
        new: dict[str, dict] = {}
        seen: dict[str, int] = {}
        rows: list[dict] = []
        for i in range(len(table)):
            row = table.iloc[i]
            at = where(name, i, path)
            try:
                sample_id, recipe_id = self._identify(row, id_col, i, at, recipes,
                                                      by_proposal, id_to_sample, allow_new,
                                                      origin)
                values, bad = {}, []
                for t in targets:
                    try:
                        v = number(row[t], f"{at}: {t}")
                        if v is not None:
                            values[t] = check_target(t, v, f"{at}: {t}")
                    except DataError as err:
                        bad.append(str(err))
                if bad:
                    errors += bad
                    continue
                if has_failed and _parse_bool(row["failed"], f"{at}: failed"):
                    values["failed"] = 1.0
                if not values:
                    report.skipped.append(f"{at}: no target value; row skipped")
                    continue
                temperature = number(row["temperature_c"], f"{at}: temperature_c") \
                    if "temperature_c" in table.columns else None
                if recipe_id is None:  # a new film
                    params = {c: clean(row[c]) for c in recipe_cols if not is_blank(row[c])}
                    if sample_id in new:
                        if not _same_params(new[sample_id], params):
                            raise DataError(f"{at}: sample_id: {sample_id!r} appears again "
                                            "with a different recipe")
                    else:
                        if origin != "seed":  # seed films may lie outside the space
                            self._check_new(params, at)
                        outside = self._outside_space(params)
                        if outside:
                            report.warnings.append(f"{at}: outside the search space: "
                                                   f"{'; '.join(outside)}; stored anyway")
                        new[sample_id] = params
                    extra = {}
                else:
                    self._check_consistent(row, param_cols, recipes[sample_id]["params"],
                                           sample_id, at)
                    extra = {c: clean(row[c]) for c in recipe_cols
                             if c not in param_cols and not is_blank(row[c])}
                conditions = {c: clean(row[c]) for c in condition_cols if not is_blank(row[c])}
                conditions.update(extra)
                digest = content_hash({"sample_id": sample_id, "values": values,
                                       "conditions": conditions})
                if digest in existing:
                    report.skipped.append(f"{at}: already in the store (same film, values and "
                                          "conditions); row skipped")
                    continue
                if digest in seen:
                    report.skipped.append(f"{at}: repeats line {seen[digest]} exactly (add a "
                                          "'replicate' column for true replicates); skipped")
                    continue
                seen[digest] = i + 2 if path is not None else i + 1
                rows.append({"line": seen[digest], "sample_id": sample_id,
                             "recipe_id": recipe_id, "values": values,
                             "temperature_c": temperature, "conditions": conditions,
                             "digest": digest})
            except IonoptError as err:
                errors.append(str(err))
        if errors:
            shown = errors[:MAX_REPORTED_ERRORS]
            if len(errors) > len(shown):
                shown.append(f"... and {len(errors) - len(shown)} more problems")
            raise DataError("\n".join(shown) + "\n(nothing was stored; fix the rows and "
                            "add the file again)" if len(errors) > 1 else shown[0])
        stamp = now()
        for sample_id, params in new.items():
            recipes[sample_id] = {"id": self._insert_recipe(conn, sample_id, params, origin,
                                                            stamp), "params": params}
            report.new_recipes.append(sample_id)
        for r in rows:
            recipe_id = recipes[r["sample_id"]]["id"]
            mid = self._insert_measurement(
                conn, recipe_id=recipe_id, kind="typed", file_path=file_path,
                file_sha256=file_sha, file_size_bytes=file_size, file_line=r["line"],
                content_sha256=r["digest"], temperature_c=r["temperature_c"], geometry={},
                conditions=r["conditions"], derived={"source": name, **r["values"]},
                method="typed" if origin != "seed" else "seed data", qc_flags=[],
                values=r["values"], stamp=stamp)
            report.added.append({"line": r["line"], "sample_id": r["sample_id"],
                                 "measurement_id": mid, "kind": "typed", **r["values"]})
        report.measured = self._mark_measured(
            conn, {recipes[r["sample_id"]]["id"] for r in rows}, stamp)
        return report

    def _identify(self, row: pd.Series, id_col: str | None, i: int, at: str,
                  recipes: dict, by_proposal: dict, id_to_sample: dict, allow_new: bool,
                  origin: str) -> tuple[str, int | None]:
        sample = None
        if "sample_id" in row.index and not is_blank(row["sample_id"]):
            sample = _sample_text(row["sample_id"])
        if id_col == "proposal_id" and not is_blank(row["proposal_id"]):
            pid = number(row["proposal_id"], f"{at}: proposal_id")
            if pid is None or pid != int(pid) or int(pid) not in by_proposal:
                raise DataError(f"{at}: proposal_id: no proposal {row['proposal_id']!r} in "
                                f"campaign {self.name!r}")
            by_id = id_to_sample[by_proposal[int(pid)]]
            if sample is not None and sample != by_id:
                raise DataError(f"{at}: sample_id: {sample!r} but proposal {int(pid)} is "
                                f"film {by_id!r}")
            return by_id, recipes[by_id]["id"]
        if sample is None:
            if allow_new and id_col is None:
                sample = f"S{i + 1:03d}" if origin == "seed" else f"U{i + 1:03d}"
            else:
                raise DataError(f"{at}: {id_col or 'sample_id'}: blank; expected the film "
                                "this row belongs to")
        if sample in recipes:
            return sample, recipes[sample]["id"]
        if not allow_new:
            raise DataError(f"{at}: sample_id: unknown film {sample!r} in campaign "
                            f"{self.name!r}; expected the sample_id of a proposal or seed "
                            "film (use --new to add films made outside the campaign)")
        return sample, None

    def _refuse_typos(self, columns: Iterable[str], name: str) -> None:
        """DataError for columns that look like a misspelt target, parameter or id column
        (:data:`TYPO_CUTOFF`): kept as notes, their values would never reach the optimizer."""
        known = ordered_union([self.targets, self.space.names, RECIPE_KEY_COLUMNS, ID_COLUMNS,
                               ["failed", "temperature_c"]])
        understood = {*known, *CONDITION_COLUMNS, *DERIVED_COLUMNS}
        columns = list(columns)
        # A name the file already has cannot be what a look-alike column misspells
        # (lifsi_g beside litfsi_g is a second salt, not a typo).
        absent = [k for k in known if k not in columns]
        typos = []
        for c in columns:
            # names extending a known one (conductivity_s_cm_pred, _std, _n) are no typos
            if c in understood or any(c.startswith(f"{k}_") for k in known):
                continue
            match = difflib.get_close_matches(c, absent, n=1, cutoff=TYPO_CUTOFF)
            if match:
                typos.append(f"{name}:1: unknown column {c!r} (did you mean {match[0]!r}?); "
                             "rename it and add the file again (nothing was stored)")
        if typos:
            raise DataError("\n".join(typos))

    def _outside_space(self, params: dict) -> list[str]:
        """What puts a recipe outside the search space: each given parameter outside its
        bounds or values, then each constraint broken by parameters within theirs."""
        from ionopt.optimizer.space import Continuous, Discrete, Fixed

        out, numbers = [], {}
        for p in self.space.parameters:
            value = params.get(p.name)
            if is_blank(value):
                continue
            numeric = isinstance(p, (Continuous, Discrete)) or (isinstance(p, Fixed)
                                                                and p.numeric)
            given = pd.to_numeric(value, errors="coerce") if numeric else value
            if p.contains([given])[0]:
                if numeric:
                    numbers[p.name] = float(given)
                continue
            shown = f"{given:g}" if numeric and math.isfinite(given) else repr(value)
            if isinstance(p, Continuous):
                out.append(f"{p.name} = {shown} outside [{p.low:g}, {p.high:g}]")
            elif isinstance(p, Fixed):
                fixed = f"{p.value:g}" if numeric else repr(p.value)
                out.append(f"{p.name} = {shown} but fixed at {fixed}")
            else:
                allowed = ", ".join(f"{v:g}" if numeric else v for v in p.values)
                out.append(f"{p.name} = {shown} not one of {allowed}")
        for c in self.space.constraints:
            if all(n in numbers for n in c.names) and not c.holds(
                    {n: [numbers[n]] for n in c.names})[0]:
                given = ", ".join(f"{n} = {numbers[n]:g}" for n in c.names)
                out.append(f"{c.describe()} violated ({given})")
        return out

    def _check_new(self, params: dict, at: str) -> None:
        from ionopt.optimizer.space import Fixed

        missing = [n for n in self.space.names if n not in params
                   and not isinstance(self.space.parameter(n), Fixed)]
        if missing:
            raise DataError(f"{at}: {', '.join(missing)}: missing; a new film needs every "
                            f"parameter of the space ({', '.join(self.space.names)})")

    @staticmethod
    def _check_consistent(row: pd.Series, cols: list[str], stored: dict, sample_id: str,
                          at: str) -> None:
        for c in cols:
            if is_blank(row[c]) or c not in stored or stored[c] is None:
                continue
            given, have = row[c], stored[c]
            if isinstance(have, (int, float)) and not isinstance(have, bool):
                value = number(given, f"{at}: {c}")
                if value is not None and not math.isclose(value, float(have), rel_tol=1e-6,
                                                          abs_tol=1e-9):
                    raise DataError(f"{at}: {c}: {value:g} but film {sample_id!r} was "
                                    f"stored with {float(have):g}; a result must belong to "
                                    "the film that was made")
            elif str(given).strip() != str(have):
                raise DataError(f"{at}: {c}: {given!r} but film {sample_id!r} was stored "
                                f"with {have!r}")

    def _insert_recipe(self, conn: Connection, sample_id: str, params: dict, origin: str,
                       stamp: Any) -> int:
        params = clean(params)
        row = {"campaign_id": self.id, "sample_id": sample_id, "origin": origin,
               "created_at": stamp}
        row["filler"] = params.pop("filler", None)
        if row["filler"] is not None:
            row["filler"] = str(row["filler"])
        for c in MASS_COLUMNS:
            v = params.pop(c, None)
            row[c] = None if v is None else float(v)
        row["params"] = params
        return conn.execute(S.recipe.insert(), row).inserted_primary_key[0]

    def _insert_measurement(self, conn: Connection, *, recipe_id: int, kind: str,
                            file_path: str | None, file_sha256: str | None,
                            file_size_bytes: int | None, file_line: int | None,
                            content_sha256: str, temperature_c: float | None,
                            geometry: dict, conditions: dict, derived: dict,
                            method: str | None, qc_flags: list[str], values: dict[str, float],
                            stamp: Any) -> int:
        if temperature_c is None:
            temperature_c = self.reference_temperature_c
        mid = conn.execute(S.measurement.insert(), {
            "campaign_id": self.id, "recipe_id": recipe_id, "kind": kind,
            "file_path": file_path, "file_sha256": file_sha256,
            "file_size_bytes": file_size_bytes, "file_line": file_line,
            "content_sha256": content_sha256, "temperature_c": temperature_c,
            "geometry": clean(geometry), "conditions": clean(conditions),
            "derived": clean(derived), "method": method, "ionopt_version": __version__,
            "qc_flags": clean(list(qc_flags)), "created_at": stamp,
        }).inserted_primary_key[0]
        conn.execute(S.target_value.insert(), [
            {"measurement_id": mid, "recipe_id": recipe_id, "target": t, "value": float(v),
             "temperature_c": temperature_c} for t, v in values.items()])
        return mid

    def _mark_measured(self, conn: Connection, recipe_ids: Iterable[int], stamp: Any
                       ) -> list[str]:
        ids = sorted(set(recipe_ids))
        if not ids:
            return []
        moved = conn.execute(
            select(S.recipe.c.sample_id)
            .join(S.proposal, S.proposal.c.recipe_id == S.recipe.c.id)
            .where(S.proposal.c.recipe_id.in_(ids), S.proposal.c.status != "measured")
            .order_by(S.recipe.c.id)).scalars().all()
        conn.execute(update(S.proposal)
                     .where(S.proposal.c.recipe_id.in_(ids), S.proposal.c.status != "measured")
                     .values(status="measured", updated_at=stamp))
        return list(moved)

    # ---- writing: status by hand ---------------------------------------------------------
    def mark(self, sample_ids: Iterable[str | int], status: str) -> list[str]:
        """Set proposals to ``made`` or ``abandoned`` (by sample_id or proposal_id).

        Measured proposals stay measured; an unknown id is a DataError (nothing changed).
        """
        if status not in ("made", "abandoned", "proposed"):
            raise DataError(f"status: expected made, abandoned or proposed, got {status!r}")
        with self.store.write() as conn:
            self.store.lock_campaign(conn, self.id)
            recipes, by_proposal = self._known(conn)
            id_to_sample = {v["id"]: k for k, v in recipes.items()}
            targets = []
            for ident in sample_ids:
                key = str(ident).strip()
                if key in recipes:
                    rid = recipes[key]["id"]
                elif key.isdigit() and int(key) in by_proposal:
                    rid = by_proposal[int(key)]
                else:
                    raise DataError(f"{ident}: no such film or proposal in campaign "
                                    f"{self.name!r}")
                if rid not in by_proposal.values():
                    raise DataError(f"{ident}: film {id_to_sample[rid]!r} is not a proposal")
                targets.append(rid)
            stamp = now()
            changed = conn.execute(
                select(S.recipe.c.sample_id)
                .join(S.proposal, S.proposal.c.recipe_id == S.recipe.c.id)
                .where(S.proposal.c.recipe_id.in_(targets), S.proposal.c.status != "measured",
                       S.proposal.c.status != status)).scalars().all()
            conn.execute(update(S.proposal)
                         .where(S.proposal.c.recipe_id.in_(targets),
                                S.proposal.c.status != "measured")
                         .values(status=status, updated_at=stamp))
        return list(changed)

    # ---- writing: proposals --------------------------------------------------------------
    def propose(self, n: int = 4, *, seed: int | None = None, backend: str = "native",
                batch_g: float = 2.0, candidates: pd.DataFrame | None = None,
                proposer: Callable[..., pd.DataFrame] | None = None) -> pd.DataFrame:
        """Propose the next ``n`` films and store them as one pending batch.

        The campaign is locked from reading the data to writing the batch, so concurrent
        callers get distinct batches, each seeing the other's pending proposals.

        Parameters
        ----------
        n : int
            Films in the batch.
        seed : int, optional
            Optimizer seed (same store state + seed -> same batch).
        backend : str
            Optimizer backend (``native``, ``optuna-tpe``, ...).
        batch_g : float
            Solids per film, g (the masses to weigh).
        candidates : DataFrame, optional
            Restrict proposals to these recipes.
        proposer : callable, optional
            Replacement for :func:`ionopt.optimizer.propose` (same signature).

        Returns
        -------
        DataFrame
            The optimizer's table (parameters, grams, predictions, acquisition, reason)
            with ``proposal_id``, ``sample_id`` and ``batch`` in front.
        """
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise DataError(f"n: expected a positive number of films, got {n!r}")
        proposer = proposer or _default_proposer()
        with self.store.write() as conn:
            self.store.lock_campaign(conn, self.id)
            frame = self._frame(conn)
            data = self._optimizer_data(frame)
            pending_full = self._pending_of(frame)
            pend_cols = [c for c in self.space.names if c in pending_full.columns]
            pending = pending_full[pend_cols] if len(pending_full) else None
            result = proposer(self.space, data.drop(columns="sample_id"), n=int(n),
                              pending=pending, candidates=candidates, backend=backend,
                              seed=seed, batch_g=batch_g)
            self._check_proposals(result)
            number_ = (conn.execute(select(func.max(S.batch.c.number))
                                    .where(S.batch.c.campaign_id == self.id)).scalar() or 0) + 1
            fingerprint = _fingerprint(result) or _inputs_fingerprint(
                self.space, data, pending, backend, seed, n)
            stamp = now()
            pending_ids = [int(x) for x in pending_full["proposal_id"]] if len(
                pending_full) else []
            batch_id = conn.execute(S.batch.insert(), {
                "campaign_id": self.id, "number": number_, "created_at": stamp,
                "backend": str(backend), "seed": seed, "n_requested": int(n),
                "n_data": int(len(data)), "n_pending": len(pending_ids),
                "pending_proposal_ids": pending_ids, "surrogate_fingerprint": fingerprint,
                "ionopt_version": __version__,
                "options": clean({"batch_g": batch_g,
                                  "candidates": None if candidates is None else len(candidates),
                                  "data_sample_ids": list(data["sample_id"])}),
            }).inserted_primary_key[0]
            taken = set(conn.execute(select(S.recipe.c.sample_id)
                                     .where(S.recipe.c.campaign_id == self.id)).scalars())
            pred_cols = [c for c in result.columns
                         if c.endswith(("_pred", "_std")) or c == "prob_feasible"]
            recipe_cols = [c for c in result.columns if c not in pred_cols
                           and c not in PROPOSAL_OUTPUT_COLUMNS]
            ids, samples = [], []
            for rank, (_, row) in enumerate(result.iterrows(), start=1):
                sample_id = f"B{number_:03d}-{rank:02d}"
                while sample_id in taken:
                    sample_id += "x"
                taken.add(sample_id)
                params = {c: row[c] for c in recipe_cols if not is_blank(row[c])}
                rid = self._insert_recipe(conn, sample_id, params, "proposal", stamp)
                pid = conn.execute(S.proposal.insert(), {
                    "campaign_id": self.id, "batch_id": batch_id, "recipe_id": rid,
                    "rank": rank, "status": "proposed", "backend": str(backend),
                    "surrogate_fingerprint": fingerprint,
                    "acquisition": clean(row["acquisition"]) if "acquisition" in row else None,
                    "reason": None if "reason" not in row or is_blank(row["reason"])
                    else str(row["reason"]),
                    "predictions": clean({c: row[c] for c in pred_cols}),
                    "created_at": stamp, "updated_at": stamp,
                }).inserted_primary_key[0]
                ids.append(pid)
                samples.append(sample_id)
        out = result.reset_index(drop=True).copy()
        out.insert(0, "batch", number_)
        out.insert(0, "sample_id", samples)
        out.insert(0, "proposal_id", ids)
        out.attrs.update(result.attrs)
        out.attrs.update({"batch": number_, "n_data": int(len(data)),
                          "n_pending": len(pending_ids), "surrogate_fingerprint": fingerprint})
        return out

    def _check_proposals(self, result: Any) -> None:
        if not isinstance(result, pd.DataFrame):
            raise StoreError(f"optimizer returned {type(result).__name__}, expected a DataFrame")
        if len(result) == 0:
            raise DataError("the optimizer proposed no recipe (is the search space empty, or "
                            "every candidate already used?)")
        from ionopt.optimizer.space import Fixed

        missing = [p for p in self.space.names if p not in result.columns
                   and not isinstance(self.space.parameter(p), Fixed)]
        if missing:
            raise StoreError(f"optimizer output lacks parameter columns {', '.join(missing)}")

    # ---- writing: raw files --------------------------------------------------------------
    def add_raw(self, manifest: pd.DataFrame | str | os.PathLike[str], *,
                base_dir: str | os.PathLike[str] | None = None,
                progress: Callable[[int, int], None] | None = None) -> AddReport:
        """Analyse raw files listed in a manifest and store each in its own transaction.

        See :mod:`ionopt.campaign.raw` for the manifest's columns. Each row is one
        measurement: its files (``file``, plus ``eis_before``/``eis_after`` for
        ``transference``) are hashed (sha256 + size), analysed with ionopt's analysis for
        its ``kind``, and stored with the derived targets and every file's provenance in
        one transaction. A row whose files are already stored for the same film and kind
        is skipped (re-running after an interruption is safe); bad rows are reported in
        ``AddReport.errors`` and the others still stored.

        Parameters
        ----------
        manifest : DataFrame or path
        base_dir : path, optional
            Folder relative file paths start from (default: the manifest's folder, or
            the current directory for a DataFrame).
        progress : callable, optional
            Called as ``progress(done, total)`` after each row.
        """
        table, name, path = read_table(manifest, "manifest")
        base = Path(base_dir) if base_dir is not None else (
            path.parent if path is not None else Path.cwd())
        id_col = next((c for c in ID_COLUMNS if c in table.columns), None)
        missing = [c for c in ("kind", "file") if c not in table.columns]
        if id_col is None:
            missing.insert(0, "sample_id (or proposal_id)")
        if missing:
            raise DataError(f"{name}:1: {', '.join(missing)}: missing column; a manifest needs "
                            "sample_id or proposal_id, kind, file and the geometry columns")
        report = AddReport()
        known = set(table.columns)
        cond_cols = [c for c in table.columns
                     if c not in {*ID_COLUMNS, "kind", "file", "format", "temperature_c",
                                  *GEOMETRY_COLUMNS, *ALIASES, *FILE_COLUMNS}]
        for i in range(len(table)):
            row = table.iloc[i]
            at = where(name, i, path)
            try:
                entry = self._raw_row(row, i, at, base, known, cond_cols, id_col)
                if entry is None:
                    report.skipped.append(f"{at}: blank row; skipped")
                else:
                    self._store_raw(entry, at, report)
            except IonoptError as err:
                text_ = str(err)
                report.errors.append(text_ if text_.startswith(at) else f"{at}: {text_}")
            except (OSError, ValueError, RuntimeError, ArithmeticError, TypeError,
                    KeyError, IndexError) as err:
                report.errors.append(f"{at}: analysis failed unexpectedly "
                                     f"({type(err).__name__}: {err}); please report it")
            if progress is not None:
                progress(i + 1, len(table))
        return report

    def _raw_row(self, row: pd.Series, i: int, at: str, base: Path, known: set[str],
                 cond_cols: list[str], id_col: str) -> dict | None:
        if all(is_blank(row[c]) for c in row.index):
            return None
        kind = get_kind(row["kind"], at)
        if is_blank(row["file"]):
            raise DataError(f"{at}: file: blank; expected the raw file's path")
        file = _raw_path(row["file"], "file", at, base)
        geometry = {c: parse_number(row[c], c, at) for c in GEOMETRY_COLUMNS if c in known}
        geometry = {k: v for k, v in geometry.items() if v is not None}
        for alias, column in ALIASES.items():
            if alias in known and not is_blank(row[alias]):
                if column in geometry:
                    raise DataError(f"{at}: {alias}: give {column} or its alias {alias}, "
                                    "not both")
                geometry[column] = parse_number(row[alias], alias, at)
        files = {}
        for column in FILE_COLUMNS:
            if column not in known or is_blank(row[column]):
                continue
            if column not in kind.files:
                takers = ", ".join(sorted(k for k, v in KINDS.items() if column in v.files))
                raise DataError(f"{at}: {column}: a file of kind {kind.name} takes no "
                                f"{column} (only {takers or 'no kind'} does); leave it blank")
            files[column] = _raw_path(row[column], column, at, base)
        kind.check(set(geometry) | set(files), at)
        temperature = number(row["temperature_c"], f"{at}: temperature_c") \
            if "temperature_c" in known else None
        fmt = None if "format" not in known or is_blank(row["format"]) else str(row["format"])
        ident = {c: row[c] for c in ID_COLUMNS if c in known and not is_blank(row[c])}
        if not ident:
            raise DataError(f"{at}: {id_col}: blank; expected the film this file belongs to")
        conditions = {c: clean(row[c]) for c in cond_cols if not is_blank(row[c])}
        return {"kind": kind, "file": file, "files": files, "geometry": geometry,
                "temperature_c": temperature, "format": fmt, "ident": ident,
                "conditions": conditions}

    def _resolve_film(self, conn: Connection, ident: dict, at: str) -> tuple[int, str]:
        recipes, by_proposal = self._known(conn)
        id_to_sample = {v["id"]: k for k, v in recipes.items()}
        row = pd.Series(ident)
        id_col = "proposal_id" if "proposal_id" in ident else "sample_id"
        sample, rid = self._identify(row, id_col, 0, at, recipes, by_proposal, id_to_sample,
                                     allow_new=False, origin="user")
        return int(rid), sample

    def _store_raw(self, entry: dict, at: str, report: AddReport) -> None:
        kind, file = entry["kind"], entry["file"]
        inputs: dict[str, Path] = {"file": file, **entry["files"]}
        digests = {role: file_digest(path) for role, path in inputs.items()}
        first_role: dict[str, str] = {}
        for role, (sha_, _) in digests.items():
            if sha_ in first_role:
                other = first_role[sha_]
                raise DataError(f"{at}: {role}: {inputs[role]} has the same sha256 as "
                                f"{other} ({inputs[other].name}); each file of a measurement "
                                "must be a different raw file")
            first_role[sha_] = role
        sha, size = digests["file"]
        with self.store.read() as conn:
            recipe_id, sample = self._resolve_film(conn, entry["ident"], at)
            if self._duplicate(conn, inputs, digests, recipe_id, kind.name, at, report):
                return
        result = kind.run(str(file), entry["geometry"], entry["format"],
                          files={role: str(path) for role, path in entry["files"].items()})
        for role, path in inputs.items():
            if file_digest(path) != digests[role]:
                raise DataError(f"{at}: {role}: {path} changed while it was analysed; add "
                                "it again")
        values = kind.values(result)
        if not values:
            flags = QC_SEPARATOR.join(getattr(result, "warnings", []) or [])
            raise DataError(f"{at}: {kind.name} analysis of {file.name} gave no "
                            f"{' or '.join(kind.targets)}" + (f" ({flags})" if flags else ""))
        for t, v in values.items():
            check_target(t, v, f"{at}: {t} from the {kind.name} analysis of {file.name}",
                         hint="check the file, and the row's geometry and its units")
        derived = result.to_dict() if hasattr(result, "to_dict") else {}
        derived["input_files"] = [
            {"role": role, "path": str(path), "sha256": digests[role][0],
             "size_bytes": digests[role][1]} for role, path in inputs.items()]
        qc_flags = list(getattr(result, "warnings", []) or [])
        qc_flags += [n for n in kind.notes(result, entry["geometry"]) if n not in qc_flags]
        with self.store.write() as conn:
            self.store.lock_campaign(conn, self.id)
            recipe_id, sample = self._resolve_film(conn, entry["ident"], at)
            if self._duplicate(conn, inputs, digests, recipe_id, kind.name, at, report):
                return
            stamp = now()
            mid = self._insert_measurement(
                conn, recipe_id=recipe_id, kind=kind.name, file_path=str(file),
                file_sha256=sha, file_size_bytes=size, file_line=None, content_sha256=sha,
                temperature_c=entry["temperature_c"], geometry=entry["geometry"],
                conditions=entry["conditions"], derived=derived,
                method=getattr(result, "method", None) or None,
                qc_flags=qc_flags, values=values, stamp=stamp)
            report.measured += self._mark_measured(conn, [recipe_id], stamp)
        added = {"line": at, "sample_id": sample, "measurement_id": mid, "kind": kind.name,
                 "file": str(file), "sha256": sha}
        for role, path in entry["files"].items():
            added.update({role: str(path), f"{role}_sha256": digests[role][0]})
        report.added.append({**added, **values})

    def _duplicate(self, conn: Connection, inputs: dict[str, Path],
                   digests: dict[str, tuple[str, int]], recipe_id: int, kind: str, at: str,
                   report: AddReport) -> bool:
        """True (and a note in ``report.skipped``) when this measurement is stored already;
        DataError when one of its files belongs to another measurement."""
        file, sha = inputs["file"], digests["file"][0]
        companions = {role: d[0] for role, d in digests.items() if role != "file"}
        hit = conn.execute(
            select(S.measurement.c.id, S.measurement.c.recipe_id, S.measurement.c.kind,
                   S.measurement.c.file_path, S.measurement.c.derived, S.recipe.c.sample_id)
            .join(S.recipe, S.recipe.c.id == S.measurement.c.recipe_id)
            .where(S.measurement.c.campaign_id == self.id,
                   S.measurement.c.content_sha256 == sha)).mappings().first()
        if hit is not None:
            if hit["recipe_id"] == recipe_id and hit["kind"] == kind:
                stored = {f["role"]: f for f in _input_files(hit["derived"])
                          if f["role"] != "file"}
                if {r: f["sha256"] for r, f in stored.items()} == companions:
                    extra = "".join(f", {r} {inputs[r].name}" for r in companions)
                    report.skipped.append(f"{at}: {file.name}{extra} is already stored "
                                          f"(measurement {hit['id']}, same sha256); skipped")
                    return True
                raise DataError(
                    f"{at}: file: {file} is already stored as measurement {hit['id']} for "
                    f"film {hit['sample_id']!r} with other companion files (stored: "
                    f"{_listed({r: f['path'] for r, f in stored.items()})}; this row: "
                    f"{_listed({r: str(inputs[r]) for r in companions})}); one raw file "
                    "cannot belong to two measurements")
            raise DataError(f"{at}: file: {file} has the same sha256 as {hit['file_path']}, "
                            f"already stored as {hit['kind']} for film {hit['sample_id']!r}; "
                            "one raw file cannot belong to two measurements")
        if companions:
            main = conn.execute(
                select(S.measurement.c.kind, S.measurement.c.file_path,
                       S.measurement.c.content_sha256, S.recipe.c.sample_id)
                .join(S.recipe, S.recipe.c.id == S.measurement.c.recipe_id)
                .where(S.measurement.c.campaign_id == self.id,
                       S.measurement.c.content_sha256.in_(list(companions.values())))
            ).mappings().first()
            if main is not None:
                role = next(r for r, s in companions.items() if s == main["content_sha256"])
                raise DataError(f"{at}: {role}: {inputs[role]} has the same sha256 as "
                                f"{main['file_path']}, already stored as {main['kind']} for "
                                f"film {main['sample_id']!r}; one raw file cannot belong to "
                                "two measurements")
        multi = sorted(name for name, k in KINDS.items() if k.files)
        if not multi:
            return False
        ours = {s: role for role, s in {"file": sha, **companions}.items()}
        rows = conn.execute(
            select(S.measurement.c.id, S.measurement.c.kind, S.measurement.c.derived,
                   S.recipe.c.sample_id)
            .join(S.recipe, S.recipe.c.id == S.measurement.c.recipe_id)
            .where(S.measurement.c.campaign_id == self.id, S.measurement.c.kind.in_(multi))
            .order_by(S.measurement.c.id)).mappings()
        for r in rows:
            for f in _input_files(r["derived"]):
                if f["role"] != "file" and f["sha256"] in ours:
                    role = ours[f["sha256"]]
                    raise DataError(
                        f"{at}: {role}: {inputs[role]} has the same sha256 as {f['path']}, "
                        f"already stored as {f['role']} of {r['kind']} measurement {r['id']} "
                        f"for film {r['sample_id']!r}; one raw file cannot belong to two "
                        "measurements")
        return False

    # ---- status and export ---------------------------------------------------------------
    def status(self) -> CampaignStatus:
        """Best value so far per objective, the Pareto set, pending proposals, counts."""
        with self.store.read() as conn:
            frame = self._frame(conn)
            n_meas = conn.execute(select(func.count()).select_from(S.measurement)
                                  .where(S.measurement.c.campaign_id == self.id)).scalar()
            history = self._history(conn)
        batches = self.batches()
        objectives = self.objectives
        data = frame[~frame["failed"]]
        best_rows = []
        for obj in objectives:
            col = data[obj.target] if obj.target in data else pd.Series(dtype=float)
            ok = col.notna()
            rec = {"target": obj.target, "direction": obj.direction,
                   "threshold": obj.threshold, "best": math.nan, "sample_id": None, "n": 0,
                   "films": int(ok.sum())}
            if ok.any():
                idx = col[ok].idxmax() if obj.direction == "maximize" else col[ok].idxmin()
                rec.update(best=float(col[idx]), sample_id=data.loc[idx, "sample_id"],
                           n=int(data.loc[idx, f"{obj.target}_n"]))
            best_rows.append(rec)
        best = pd.DataFrame(best_rows)
        targets = objectives.targets
        measured = data[data[targets].notna().any(axis=1)] if targets else data.iloc[0:0]
        if len(measured):
            mask = objectives.pareto_mask(measured)
            pareto = measured.loc[mask, ["sample_id", *targets]].reset_index(drop=True)
        else:
            pareto = pd.DataFrame(columns=["sample_id", *targets])
        pending = self._pending_of(frame)
        counts = {"films": int(len(frame)),
                  "measured": int((frame[[t for t in targets if t in frame]].notna()
                                   .any(axis=1) | frame["failed"]).sum()),
                  "failed": int(frame["failed"].sum()),
                  "measurements": int(n_meas), "batches": int(len(batches)),
                  "proposals": int(frame["proposal_id"].notna().sum()),
                  "pending": int(len(pending)),
                  "abandoned": int((frame["status"] == "abandoned").sum())}
        return CampaignStatus(self.name, self.store.where, counts, best, pareto, pending,
                              batches, history)

    def _history(self, conn: Connection) -> pd.DataFrame:
        """Best-so-far per objective after each measured film, in measurement order."""
        frame = self._frame(conn)
        values = self._values(conn)
        first = values.groupby("recipe_id")["measurement_id"].min().sort_values()
        rows = []
        best: dict[str, float] = {}
        by_id = frame.set_index("recipe_id")
        for k, rid in enumerate(first.index, start=1):
            film = by_id.loc[rid]
            rec = {"films_measured": k, "sample_id": film["sample_id"],
                   "origin": film["origin"], "batch": film["batch"]}
            for obj in self.objectives:
                v = film.get(obj.target, math.nan)
                if not film["failed"] and v is not None and pd.notna(v):
                    old = best.get(obj.target)
                    better = old is None or (v > old if obj.direction == "maximize" else v < old)
                    if better:
                        best[obj.target] = float(v)
                rec[f"best_{obj.target}"] = best.get(obj.target, math.nan)
            rows.append(rec)
        return pd.DataFrame(rows)

    def plot_progress(self, path: str | os.PathLike[str], status: CampaignStatus | None = None
                      ) -> Path:
        """Write a figure of the best value so far per objective vs films measured."""
        import matplotlib.pyplot as plt

        from ionopt._files import atomic_path

        status = status or self.status()
        history = status.history
        objectives = list(self.objectives)
        fig, axes = plt.subplots(len(objectives), 1, figsize=(6.4, 2.4 * len(objectives)),
                                 squeeze=False, layout="constrained")
        for ax, obj in zip(axes[:, 0], objectives):
            col = f"best_{obj.target}"
            if len(history) and col in history:
                ax.step(history["films_measured"], history[col], where="post",
                        color="C0", label="best so far")
                seeds = history["origin"] == "seed"
                if seeds.any():
                    ax.axvspan(0.5, seeds.sum() + 0.5, color="0.9", label="seed data")
            if obj.transform == "log10":
                ax.set_yscale("log")
            if obj.threshold is not None:
                ax.axhline(obj.threshold, color="C3", ls="--", lw=1, label="threshold")
            ax.set_ylabel(obj.target)
            ax.legend(loc="best", fontsize="small")
        axes[-1, 0].set_xlabel("films measured")
        fig.suptitle(f"campaign {self.name}")
        target = Path(path)
        with atomic_path(target) as tmp:
            fig.savefig(tmp, format=target.suffix.lstrip(".") or "png", dpi=150)
        plt.close(fig)
        return target

    def export_frame(self) -> pd.DataFrame:
        """Everything in one long table: one row per target value with its film, proposal,
        batch and measurement provenance (files, hashes, method, QC); films without a
        value yet appear once with an empty ``target``."""
        with self.store.read() as conn:
            frame = self._frame(conn, None)
            meas = self._measurements(conn)
            values = self._values(conn)
        frame = frame.drop(columns=[c for c in frame.columns
                                    if c.endswith(("_std", "_n")) or c in self.targets
                                    or c in ("failed", "n_measurements")])
        film_cols = [c for c in frame.columns if c != "recipe_id"]
        if len(meas):
            meas_cols = [c for c in meas.columns if c not in self.targets and c != "failed"
                         and c != "sample_id"]
            meas = meas[meas_cols]
        else:
            meas = pd.DataFrame(columns=["measurement_id"])
        long = values.rename(columns={"temperature_c": "value_temperature_c"})
        long = long.merge(frame, on="recipe_id", how="right")
        long = long.merge(meas, on="measurement_id", how="left")
        first = ["sample_id", "target", "value", "value_temperature_c", "measurement_id"]
        cols = ordered_union([first, film_cols, [c for c in long.columns if c != "recipe_id"]])
        long = long[cols].sort_values(["measurement_id", "sample_id"], na_position="last",
                                      kind="stable")
        return long.reset_index(drop=True)

    def export(self, path: str | os.PathLike[str], *, table: str = "all") -> Path:
        """Write the campaign to CSV or Parquet (by extension), whole or not at all.

        Parameters
        ----------
        path : path
            ``*.csv`` or ``*.parquet`` (Parquet needs pyarrow). A path without either
            extension is a folder: every table is written as ``<table>.csv`` inside it.
        table : {"all", "films", "measurements", "proposals", "batches"}
            ``all`` is :meth:`export_frame` (one row per value, with provenance);
            ``films`` is :meth:`to_frame`.
        """
        from ionopt._files import atomic_path

        tables = {"all": self.export_frame, "films": self.to_frame,
                  "measurements": self.measurements, "proposals": self.proposals,
                  "batches": self.batches}
        if table not in tables:
            raise DataError(f"table: expected one of {', '.join(tables)}, got {table!r}")
        target = Path(path)
        suffix = target.suffix.lower()
        if suffix not in (".csv", ".parquet"):
            if target.exists() and not target.is_dir():
                raise DataError(f"{target}: expected a .csv or .parquet file, or a folder")
            target.mkdir(parents=True, exist_ok=True)
            for key, getter in tables.items():
                with atomic_path(target / f"{key}.csv") as tmp:
                    _for_file(getter()).to_csv(tmp, index=False)
            return target
        frame = _for_file(tables[table]())
        if suffix == ".parquet":
            try:
                import pyarrow  # noqa: F401
            except ImportError:
                raise DataError(f"{target}: writing Parquet needs pyarrow (pip install "
                                "pyarrow); or export to .csv") from None
            with atomic_path(target) as tmp:
                frame.to_parquet(tmp, index=False)
        else:
            with atomic_path(target) as tmp:
                frame.to_csv(tmp, index=False)
        return target


# --------------------------------------------------------------------------------------
def _raw_path(value: Any, column: str, at: str, base: Path) -> Path:
    """A manifest cell naming a raw file, resolved against ``base``; DataError if missing."""
    path = Path(str(value).strip()).expanduser()
    if not path.is_absolute():
        path = base / path
    if not path.is_file():
        raise DataError(f"{at}: {column}: {path}: no such file")
    return path.resolve()


def _input_files(derived: Any) -> list[dict]:
    """The raw files of a stored measurement (``derived["input_files"]``; [] for typed rows
    and measurements stored before it was recorded)."""
    files = derived.get("input_files") if isinstance(derived, Mapping) else None
    return [f for f in files or [] if isinstance(f, Mapping) and "role" in f
            and "sha256" in f]


def _listed(files: Mapping[str, str]) -> str:
    """``eis_before a.txt, eis_after b.txt`` (``none`` for no file)."""
    return ", ".join(f"{role} {Path(path).name}" for role, path in files.items()) or "none"


def _for_file(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object:
            out[col] = out[col].map(lambda v: QC_SEPARATOR.join(map(str, v))
                                    if isinstance(v, (list, tuple)) else v)
    return out


def _fingerprint(result: pd.DataFrame) -> str | None:
    for key in ("surrogate_fingerprint", "fingerprint"):
        value = result.attrs.get(key)
        if value:
            return str(value)[:128]
    surrogates = result.attrs.get("surrogates")
    value = getattr(surrogates, "fingerprint", None)
    return str(value)[:128] if value else None


def _inputs_fingerprint(space: Any, data: pd.DataFrame, pending: pd.DataFrame | None,
                        backend: str, seed: int | None, n: int) -> str:
    """When the optimizer does not report its surrogates' fingerprint: sha256 of what it
    was given (space, data, pending, backend, seed, n), prefixed ``inputs:``."""
    payload = {"space": space.to_dict(), "backend": str(backend), "seed": seed, "n": n,
               "data": data.to_dict(orient="split"),
               "pending": None if pending is None else pending.to_dict(orient="split")}
    return "inputs:" + content_hash(payload)[:100]


def _sample_text(value: Any) -> str:
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value).strip()


def _parse_bool(value: Any, at: str) -> bool:
    if is_blank(value):
        return False
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    text_ = str(value).strip().lower()
    if text_ in ("true", "1", "1.0", "yes", "y", "t", "failed"):
        return True
    if text_ in ("false", "0", "0.0", "no", "n", "f"):
        return False
    raise DataError(f"{at}: expected true/false, got {value!r}")


def _same_params(a: dict, b: dict) -> bool:
    if set(a) != set(b):
        return False
    for k in a:
        x, y = a[k], b[k]
        if isinstance(x, (int, float)) and isinstance(y, (int, float)):
            if not math.isclose(float(x), float(y), rel_tol=1e-9, abs_tol=1e-12):
                return False
        elif x != y:
            return False
    return True


def _with_derived(table: pd.DataFrame) -> pd.DataFrame:
    """Add the derived recipe columns (pvdf_hfp_content...) when masses are given."""
    if not all(c in table.columns for c in MASS_COLUMNS):
        return table
    missing = [c for c in DERIVED_COLUMNS if c not in table.columns]
    if not missing:
        return table
    try:
        masses = table[list(MASS_COLUMNS)].apply(pd.to_numeric, errors="coerce")
    except (TypeError, ValueError):
        return table
    derived = add_derived_columns(masses)
    out = table.copy()
    for c in missing:
        out[c] = derived[c].replace([np.inf, -np.inf], np.nan)
    return out
