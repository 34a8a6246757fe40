"""The enums of tasks and communications, which both the types and the inputs use."""

from __future__ import annotations

from enum import Enum

import strawberry


@strawberry.enum
class Priority(Enum):
    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"
    URGENT = "URGENT"


@strawberry.enum
class TaskStatus(Enum):
    PENDING = "PENDING"
    IN_PROGRESS = "IN_PROGRESS"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"


@strawberry.enum
class CommunicationType(Enum):
    EMAIL = "EMAIL"
    CALL = "CALL"
    MEETING = "MEETING"
    SMS = "SMS"
    CHAT = "CHAT"
    NOTE = "NOTE"


@strawberry.enum
class CommunicationDirection(Enum):
    INBOUND = "INBOUND"
    OUTBOUND = "OUTBOUND"
