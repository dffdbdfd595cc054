"""Campaigns that persist: recipes, raw files, targets and proposals in one store.

SQLite by default (a ``<name>.ionopt.db`` file beside the data, no server), any
SQLAlchemy URL for PostgreSQL (``postgresql+psycopg://user:pw@host/db``) for a shared lab.
See :class:`Campaign` for the life cycle, :mod:`ionopt.campaign.store` for transactions
and locking, :mod:`ionopt.campaign.schema` for the tables, :mod:`ionopt.campaign.raw` for
the ``add-raw`` manifest.
"""

from ionopt.campaign.campaign import AddReport, Campaign, CampaignStatus
from ionopt.campaign.raw import KINDS, RawKind, register_kind
from ionopt.campaign.schema import SCHEMA_VERSION
from ionopt.campaign.store import Store, resolve_db

__all__ = ["AddReport", "Campaign", "CampaignStatus", "KINDS", "RawKind", "SCHEMA_VERSION",
           "Store", "register_kind", "resolve_db"]
