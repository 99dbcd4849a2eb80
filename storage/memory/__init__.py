"""In-memory implementations of every storage port: plain dicts, the SQL ones' semantics."""

from storage.memory.contacts import MemoryContactBook
from storage.memory.demo import MemoryDemoStore
from storage.memory.requests import MemoryRequestRepository
from storage.memory.stepup import MemoryAuthenticatorStore
from storage.memory.walks import MemoryEventLedger, MemoryWalkRepository
from storage.memory.workspaces import MemoryHelpDesks

__all__ = [
    "MemoryAuthenticatorStore",
    "MemoryContactBook",
    "MemoryDemoStore",
    "MemoryEventLedger",
    "MemoryHelpDesks",
    "MemoryRequestRepository",
    "MemoryWalkRepository",
]
