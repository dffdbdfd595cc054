"""The campaign store's tables (SQLAlchemy Core), one schema for SQLite and PostgreSQL.

Tables
------
``meta``          key/value: ``schema_version``, ``created_by`` (ionopt version).
``campaign``      one row per campaign: name, search space and objectives (JSON),
                  reference temperature, created time.
``recipe``        every film of a campaign: seed rows, proposals and films added by hand.
                  ``sample_id`` is unique within a campaign; masses in grams as columns,
                  every other parameter/recipe field in ``params``.
``batch``         one ``propose`` call: backend, seed, surrogate fingerprint, how many
                  measured and pending recipes it saw (``pending_proposal_ids`` lists them).
``proposal``      one proposed recipe of a batch: status ``proposed -> made -> measured``
                  or ``abandoned``, rank, acquisition value, predictions, reason.
``measurement``   one measured replicate: kind (``typed`` for numbers typed into a results
                  table, ``eis``... for raw files), the file it came from (path, sha256,
                  size, line for typed rows), geometry and conditions, the full analysis
                  result, method, ionopt version, QC flags. ``content_sha256`` (the raw
                  file's hash, or the hash of a typed row's content) is unique within a
                  campaign: the same file or row cannot be stored twice.
``target_value``  the numbers: one row per (measurement, target); replicates are kept and
                  aggregated on read. A failed film is the value 1 of target ``failed``.

Every measurement has at least one target_value; every proposal has its batch and recipe.
"""

from __future__ import annotations

from sqlalchemy import (JSON, BigInteger, CheckConstraint, Column, DateTime, Float,
                        ForeignKey, Index, Integer, MetaData, String, Table, Text,
                        UniqueConstraint)

#: Version of the table layout written by this ionopt. Bump it with a migration step in
#: :data:`ionopt.campaign.store.MIGRATIONS` whenever the tables change.
SCHEMA_VERSION = 1

PROPOSAL_STATUSES = ("proposed", "made", "measured", "abandoned")
#: Statuses of proposals the optimizer must treat as pending (not yet measured).
PENDING_STATUSES = ("proposed", "made")

metadata = MetaData()

meta = Table(
    "meta", metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

campaign = Table(
    "campaign", metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("space", JSON, nullable=False),
    Column("objectives", JSON, nullable=False),
    Column("reference_temperature_c", Float, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("ionopt_version", String(32), nullable=False),
)

recipe = Table(
    "recipe", metadata,
    Column("id", Integer, primary_key=True),
    Column("campaign_id", Integer, ForeignKey("campaign.id", ondelete="CASCADE"),
           nullable=False),
    Column("sample_id", String(200), nullable=False),
    Column("origin", String(16), nullable=False),
    Column("filler", String(64), nullable=True),
    Column("filler_g", Float, nullable=True),
    Column("litfsi_g", Float, nullable=True),
    Column("pvdf_hfp_g", Float, nullable=True),
    Column("params", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("campaign_id", "sample_id", name="uq_recipe_sample"),
    CheckConstraint("origin IN ('seed', 'proposal', 'user')", name="ck_recipe_origin"),
)

batch = Table(
    "batch", metadata,
    Column("id", Integer, primary_key=True),
    Column("campaign_id", Integer, ForeignKey("campaign.id", ondelete="CASCADE"),
           nullable=False),
    Column("number", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("backend", String(32), nullable=False),
    Column("seed", BigInteger, nullable=True),
    Column("n_requested", Integer, nullable=False),
    Column("n_data", Integer, nullable=False),
    Column("n_pending", Integer, nullable=False),
    Column("pending_proposal_ids", JSON, nullable=False),
    Column("surrogate_fingerprint", String(128), nullable=True),
    Column("ionopt_version", String(32), nullable=False),
    Column("options", JSON, nullable=False),
    UniqueConstraint("campaign_id", "number", name="uq_batch_number"),
)

proposal = Table(
    "proposal", metadata,
    Column("id", Integer, primary_key=True),
    Column("campaign_id", Integer, ForeignKey("campaign.id", ondelete="CASCADE"),
           nullable=False),
    Column("batch_id", Integer, ForeignKey("batch.id", ondelete="CASCADE"), nullable=False),
    Column("recipe_id", Integer, ForeignKey("recipe.id", ondelete="CASCADE"), nullable=False,
           unique=True),
    Column("rank", Integer, nullable=False),
    Column("status", String(16), nullable=False),
    Column("backend", String(32), nullable=False),
    Column("surrogate_fingerprint", String(128), nullable=True),
    Column("acquisition", Float, nullable=True),
    Column("reason", Text, nullable=True),
    Column("predictions", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    CheckConstraint("status IN ('proposed', 'made', 'measured', 'abandoned')",
                    name="ck_proposal_status"),
    Index("ix_proposal_status", "campaign_id", "status"),
)

measurement = Table(
    "measurement", metadata,
    Column("id", Integer, primary_key=True),
    Column("campaign_id", Integer, ForeignKey("campaign.id", ondelete="CASCADE"),
           nullable=False),
    Column("recipe_id", Integer, ForeignKey("recipe.id", ondelete="CASCADE"), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("file_path", Text, nullable=True),
    Column("file_sha256", String(64), nullable=True),
    Column("file_size_bytes", BigInteger, nullable=True),
    Column("file_line", Integer, nullable=True),
    Column("content_sha256", String(64), nullable=False),
    Column("temperature_c", Float, nullable=True),
    Column("geometry", JSON, nullable=False),
    Column("conditions", JSON, nullable=False),
    Column("derived", JSON, nullable=False),
    Column("method", String(64), nullable=True),
    Column("ionopt_version", String(32), nullable=False),
    Column("qc_flags", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("campaign_id", "content_sha256", name="uq_measurement_content"),
    Index("ix_measurement_recipe", "recipe_id"),
)

target_value = Table(
    "target_value", metadata,
    Column("id", Integer, primary_key=True),
    Column("measurement_id", Integer, ForeignKey("measurement.id", ondelete="CASCADE"),
           nullable=False),
    Column("recipe_id", Integer, ForeignKey("recipe.id", ondelete="CASCADE"), nullable=False),
    Column("target", String(64), nullable=False),
    Column("value", Float, nullable=False),
    Column("temperature_c", Float, nullable=True),
    UniqueConstraint("measurement_id", "target", name="uq_target_value"),
    Index("ix_target_value_recipe", "recipe_id", "target"),
)

TABLES = ("meta", "campaign", "recipe", "batch", "proposal", "measurement", "target_value")
