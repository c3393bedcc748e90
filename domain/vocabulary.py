"""Words of the SEND local area inspection framework, as the contract spells them."""

from enum import StrEnum


class AgencyKind(StrEnum):
    LOCAL_AUTHORITY = "LOCAL_AUTHORITY"
    HEALTH = "HEALTH"
    EDUCATION = "EDUCATION"
    SOCIAL_CARE = "SOCIAL_CARE"
    PARENT_CARER_FORUM = "PARENT_CARER_FORUM"
    OTHER = "OTHER"


class InspectionFramework(StrEnum):
    LOCAL_AREA_SEND_2016 = "LOCAL_AREA_SEND_2016"
    AREA_SEND_2023 = "AREA_SEND_2023"


class InspectionKind(StrEnum):
    FULL = "FULL"
    REVISIT = "REVISIT"
    MONITORING = "MONITORING"


class InspectionOutcome(StrEnum):
    WRITTEN_STATEMENT_REQUIRED = "WRITTEN_STATEMENT_REQUIRED"
    NO_WRITTEN_STATEMENT_REQUIRED = "NO_WRITTEN_STATEMENT_REQUIRED"
    POSITIVE_EXPERIENCES = "POSITIVE_EXPERIENCES"
    INCONSISTENT_EXPERIENCES = "INCONSISTENT_EXPERIENCES"
    WIDESPREAD_SYSTEMIC_FAILINGS = "WIDESPREAD_SYSTEMIC_FAILINGS"


# The 2016 framework ends in a yes/no on a Written Statement of Action; the 2023
# framework in one of three outcomes about children's experiences.
OUTCOMES_OF_FRAMEWORK = {
    InspectionFramework.LOCAL_AREA_SEND_2016: {
        InspectionOutcome.WRITTEN_STATEMENT_REQUIRED,
        InspectionOutcome.NO_WRITTEN_STATEMENT_REQUIRED,
    },
    InspectionFramework.AREA_SEND_2023: {
        InspectionOutcome.POSITIVE_EXPERIENCES,
        InspectionOutcome.INCONSISTENT_EXPERIENCES,
        InspectionOutcome.WIDESPREAD_SYSTEMIC_FAILINGS,
    },
}


class FindingKind(StrEnum):
    SIGNIFICANT_WEAKNESS = "SIGNIFICANT_WEAKNESS"
    SIGNIFICANT_CONCERN = "SIGNIFICANT_CONCERN"
    FUNDAMENTAL_FAILING = "FUNDAMENTAL_FAILING"
    PRIORITY_ACTION = "PRIORITY_ACTION"
    AREA_FOR_IMPROVEMENT = "AREA_FOR_IMPROVEMENT"
    STRENGTH = "STRENGTH"


# Which findings each framework's reports make: the 2016 framework names significant weaknesses (and concerns,
# fundamental failings); the 2023 framework areas for priority action and areas for improvement. Both name strengths.
FINDING_KINDS_OF_FRAMEWORK = {
    InspectionFramework.LOCAL_AREA_SEND_2016: {
        FindingKind.SIGNIFICANT_WEAKNESS,
        FindingKind.SIGNIFICANT_CONCERN,
        FindingKind.FUNDAMENTAL_FAILING,
        FindingKind.STRENGTH,
    },
    InspectionFramework.AREA_SEND_2023: {
        FindingKind.PRIORITY_ACTION,
        FindingKind.AREA_FOR_IMPROVEMENT,
        FindingKind.STRENGTH,
    },
}


class PlanKind(StrEnum):
    WRITTEN_STATEMENT_OF_ACTION = "WRITTEN_STATEMENT_OF_ACTION"
    IMPROVEMENT_PLAN = "IMPROVEMENT_PLAN"
    PRIORITY_ACTION_PLAN = "PRIORITY_ACTION_PLAN"
    ACCELERATED_PROGRESS_PLAN = "ACCELERATED_PROGRESS_PLAN"


class DeadlineSource(StrEnum):
    DERIVED = "DERIVED"  # counted from the report's publication by the framework's table (domain/deadlines.py)
    GIVEN = "GIVEN"  # typed in when the plan was drafted


class PlanStatus(StrEnum):
    DRAFT = "DRAFT"
    SUBMITTED = "SUBMITTED"
    APPROVED = "APPROVED"
    RETURNED = "RETURNED"
    SUPERSEDED = "SUPERSEDED"
    CLOSED = "CLOSED"


class ActionStatus(StrEnum):
    NOT_STARTED = "NOT_STARTED"
    IN_PROGRESS = "IN_PROGRESS"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"


OPEN_ACTION_STATUSES = {ActionStatus.NOT_STARTED, ActionStatus.IN_PROGRESS}


class Rag(StrEnum):
    RED = "RED"
    AMBER = "AMBER"
    GREEN = "GREEN"


class JudgingBody(StrEnum):
    OFSTED_CQC = "OFSTED_CQC"
    DFE = "DFE"
    NHS_ENGLAND = "NHS_ENGLAND"
    IMPROVEMENT_BOARD = "IMPROVEMENT_BOARD"


class ProgressJudgement(StrEnum):
    SUFFICIENT_PROGRESS = "SUFFICIENT_PROGRESS"
    INSUFFICIENT_PROGRESS = "INSUFFICIENT_PROGRESS"


class MetricUnit(StrEnum):
    PERCENT = "PERCENT"
    COUNT = "COUNT"
    DAYS = "DAYS"
    RATE = "RATE"


class Polarity(StrEnum):
    HIGHER_IS_BETTER = "HIGHER_IS_BETTER"
    LOWER_IS_BETTER = "LOWER_IS_BETTER"


class Direction(StrEnum):
    IMPROVING = "IMPROVING"
    WORSENING = "WORSENING"
    STEADY = "STEADY"


class MeetingKind(StrEnum):
    ENGAGEMENT_MEETING = "ENGAGEMENT_MEETING"
    STOCKTAKE = "STOCKTAKE"
    REVIEW_MEETING = "REVIEW_MEETING"
    IMPROVEMENT_BOARD = "IMPROVEMENT_BOARD"
    SCRUTINY_COMMITTEE = "SCRUTINY_COMMITTEE"


class Role(StrEnum):
    PARTNER = "PARTNER"
    PARTNERSHIP_LEAD = "PARTNERSHIP_LEAD"
    INSPECTOR = "INSPECTOR"
    MONITOR = "MONITOR"
    AUDITOR = "AUDITOR"
    ADMIN = "ADMIN"
