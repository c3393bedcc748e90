"""A realistic record built from the council minutes in ../shared/seeds.

Lancashire: the Ofsted/CQC inspection of November 2017 found two fundamental
failings and twelve areas of significant concern; the partners wrote a Written
Statement of Action monitored by the DfE and NHS England (reported to them on
18 December 2018); a revisit in October 2019 judged three of five weaknesses to
have made sufficient progress and two not (the quality of EHC plans, and
self-evaluation); the SEND Partnership Improvement Plan 2019-2020 superseded the
WSoA, with a termly scorecard for scrutiny.

BCP: a WSoA with eight improvement areas after the July 2021 inspection; in
July 2023 the DfE found the pace of change too slow; a new Improvement Plan with
eight strategic areas, monitored through a performance scorecard.

Northbridge (fictional, and named so): the 2023 framework from end to end. An
area SEND inspection in October 2023 finds widespread or systemic failings, with
three areas for priority action (each naming the partners responsible) and two
areas for improvement; the priority action plan, due 35 working days after the
report (Tuesday 9 January 2024, across Christmas), is submitted the day before
and approved by Ofsted/CQC; engagement meetings, a DfE and NHS England
stocktake, the improvement board and the scrutiny committee follow its progress;
a monitoring inspection in May 2025, 18 months after the report, judges each
area for priority action.

Every step carries an idempotency key, so loading the demo twice records it once.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from domain.vocabulary import Role
from service.authorisation import Principal
from service.commands import Commands, Outcome

ADMIN = Principal("demo-admin", Role.ADMIN)
INSPECTOR = Principal("hmi.send@ofsted.gov.uk", Role.INSPECTOR)
DFE = Principal("send.adviser@education.gov.uk", Role.MONITOR)

LANCASHIRE_FINDINGS = [
    ("FUNDAMENTAL_FAILING", "Leaders lacked a coherent strategy for implementing the SEND reforms across education, health and care."),
    ("FUNDAMENTAL_FAILING", "Joint commissioning arrangements were underdeveloped and did not address the needs of children and young people."),
    ("SIGNIFICANT_CONCERN", "The lack of clearly understood and effective lines of accountability for the implementation of the reforms."),
    ("SIGNIFICANT_CONCERN", "The timeliness of the completion of EHC plans."),
    ("SIGNIFICANT_CONCERN", "The high level of fixed-term exclusion of pupils in mainstream secondary schools who have SEN, and SEMH needs in particular."),
    ("SIGNIFICANT_CONCERN", "The quality of EHC plans."),
    ("SIGNIFICANT_CONCERN", "The quality and rigour of self-evaluation and monitoring, and the limited effect it has had on driving improvement."),
    ("SIGNIFICANT_CONCERN", "The local offer is not fit for purpose and is poorly understood by families."),
    ("SIGNIFICANT_CONCERN", "Relationships with parents and carers are fragile and co-production is weak."),
    ("SIGNIFICANT_CONCERN", "Health services' contribution to EHC needs assessments is inconsistent."),
    ("SIGNIFICANT_CONCERN", "Waiting times for neurodevelopmental assessment are too long."),
    ("SIGNIFICANT_CONCERN", "The use of part-time timetables and removal of children from school rolls is not tracked well enough."),
    ("SIGNIFICANT_CONCERN", "Transition into adulthood is poorly planned for young people with SEND."),
    ("SIGNIFICANT_CONCERN", "Information about the outcomes of children and young people with SEND is not used to plan services."),
]


class Story:
    def __init__(self, commands: Commands):
        self.commands = commands
        self.steps = 0

    def __call__(self, principal: Principal, mutation: str, **fields: Any) -> Outcome:
        self.steps += 1
        outcome = self.commands.run(principal, mutation, **fields, idempotency_key=f"demo-{self.steps}")
        if outcome.errors:
            raise RuntimeError(f"demo step {self.steps} ({mutation}) was refused: {outcome.errors[0].message}")
        return outcome


def load(commands: Commands) -> dict[str, str]:
    """Record the demo story; returns the ids worth knowing."""
    step = Story(commands)
    ids = lancashire(step)
    ids.update(bcp(step))
    ids.update(northbridge(step))
    return ids


def lancashire(step: Story) -> dict[str, str]:
    p = step(ADMIN, "registerPartnership", name="Lancashire SEND Partnership", local_authority="Lancashire County Council",
             effective_on=date(2017, 9, 1)).entity_id
    lead = Principal("sian.rees@lancashire.gov.uk", Role.PARTNERSHIP_LEAD, p)
    agency = {
        key: step(lead, "addAgency", partnership_id=p, name=name, kind=kind, expected_version=None,
                  effective_on=date(2017, 9, 1)).extra["agencyId"]
        for key, name, kind in [
            ("council", "Lancashire County Council", "LOCAL_AUTHORITY"),
            ("health", "NHS Lancashire and South Cumbria CCGs", "HEALTH"),
            ("schools", "Lancashire Schools Forum", "EDUCATION"),
            ("forum", "Lancashire Parent Carer Forum", "PARENT_CARER_FORUM"),
        ]
    }
    inspection = step(INSPECTOR, "recordInspection", partnership_id=p, framework="LOCAL_AREA_SEND_2016", kind="FULL",
                      started_on=date(2017, 11, 13), ended_on=date(2017, 11, 17), revisit_of=None).entity_id
    findings = [
        step(INSPECTOR, "recordFinding", inspection_id=inspection, kind=kind, text=text, expected_version=None,
             effective_on=date(2017, 11, 17)).extra["findingId"]
        for kind, text in LANCASHIRE_FINDINGS
    ]
    step(INSPECTOR, "publishInspection", inspection_id=inspection, published_on=date(2018, 1, 30),
         outcome="WRITTEN_STATEMENT_REQUIRED", expected_version=None)

    wsoa = step(lead, "draftPlan", partnership_id=p, kind="WRITTEN_STATEMENT_OF_ACTION",
                title="Lancashire Written Statement of Action", responds_to=inspection, period_start=date(2018, 5, 1),
                period_end=date(2019, 12, 31), submission_due=date(2018, 5, 10), effective_on=date(2018, 3, 1)).entity_id
    areas = {}
    for key, title, addressed, measures in [
        ("leadership", "Strategic leadership, accountability and joint commissioning", [0, 1, 2, 6],
         ["A SEND partnership board with published terms of reference", "Joint commissioning strategy agreed by all partners"]),
        ("ehcp", "Timely, high-quality EHC plans", [3, 5, 9],
         ["60% of EHC plans issued within 20 weeks", "80% of audited plans judged good or better"]),
        ("offer", "A local offer and co-production that families trust", [7, 8],
         ["Local offer relaunched with the parent carer forum", "Parent satisfaction survey every term"]),
        ("inclusion", "Inclusion: exclusions, part-time timetables and transitions", [4, 11, 12],
         ["Fixed-term exclusions of pupils with SEN below the national rate"]),
    ]:
        areas[key] = step(lead, "addPriorityArea", plan_id=wsoa, title=title, addresses=[findings[i] for i in addressed],
                          success_measures=measures, expected_version=None,
                          effective_on=date(2018, 3, 15)).extra["priorityAreaId"]
    step(lead, "submitPlan", plan_id=wsoa, on=date(2018, 5, 10), reason="Signed off by the partnership board",
         expected_version=None)
    step(INSPECTOR, "approvePlan", plan_id=wsoa, on=date(2018, 6, 12), reason="The WSoA is fit for purpose",
         expected_version=None)

    actions = {}
    for key, area, owner, title, officer, due in [
        ("board", "leadership", "council", "Establish the SEND Partnership Board with health and education", "Director of Children's Services", date(2018, 7, 31)),
        ("jcs", "leadership", "health", "Agree a joint commissioning strategy for SEND", "CCG Director of Commissioning", date(2018, 12, 31)),
        ("ehcp-team", "ehcp", "council", "Recruit additional EHC plan coordinators to clear the backlog", "Head of SEND", date(2018, 10, 31)),
        ("health-advice", "ehcp", "health", "Health advice for EHC needs assessments within six weeks", "Designated Clinical Officer", date(2019, 3, 31)),
        ("offer", "offer", "forum", "Co-produce and relaunch the local offer website", "Forum Chair", date(2018, 11, 30)),
        ("survey", "offer", "forum", "Run a termly parent carer satisfaction survey", "Forum Chair", date(2019, 1, 31)),
        ("exclusions", "inclusion", "schools", "Reduce fixed-term exclusions of pupils with SEMH needs", "Inclusion Lead", date(2019, 7, 31)),
        ("timetables", "inclusion", "council", "Track part-time timetables and removals from roll every month", "Head of Inclusion", date(2018, 9, 30)),
    ]:
        actions[key] = step(lead, "addAction", plan_id=wsoa, priority_area_id=areas[area], title=title,
                            description=None, owner_agency_id=agency[owner], lead_officer=officer, due_on=due,
                            effective_on=date(2018, 6, 12)).entity_id
    council = Principal("head.of.send@lancashire.gov.uk", Role.PARTNER, p, agency["council"])
    health = Principal("dco@lancashire.nhs.uk", Role.PARTNER, p, agency["health"])
    forum = Principal("chair@lancashirepcf.org.uk", Role.PARTNER, p, agency["forum"])

    def change(principal: Principal, mutation: str, action: str, **arguments: Any) -> None:
        arguments.setdefault("expected_version", None)
        step(principal, mutation, action_id=actions[action], **arguments)

    for principal, key, started in [(council, "board", date(2018, 6, 15)), (health, "jcs", date(2018, 7, 1)),
                                    (council, "ehcp-team", date(2018, 6, 20)), (health, "health-advice", date(2018, 9, 1)),
                                    (forum, "offer", date(2018, 7, 1)), (council, "timetables", date(2018, 7, 1))]:
        change(principal, "startAction", key, reason=None, effective_on=started)
    change(council, "completeAction", "board", completed_on=date(2018, 7, 20), note="Board met on 20 July 2018",
           evidence=["Terms of reference approved 20/07/2018", "Minutes of the first SEND Partnership Board"])
    change(council, "completeAction", "ehcp-team", completed_on=date(2018, 10, 15), note=None,
           evidence=["Six coordinators in post from October 2018"])
    change(forum, "completeAction", "offer", completed_on=date(2018, 11, 26), note="Relaunched with the forum",
           evidence=["Local offer website relaunched 26/11/2018", "Forum co-production log"])
    change(health, "reportActionProgress", "jcs", note="Draft strategy with the CCG governing bodies", rag="AMBER",
           effective_on=date(2018, 12, 1))
    change(lead, "rescheduleAction", "jcs", due_on=date(2019, 3, 31),
           reason="CCG governing body sign-off moved to March 2019", effective_on=date(2018, 12, 18))
    change(health, "reportActionProgress", "health-advice", note="Only 41% of advice returned within six weeks",
           rag="RED", effective_on=date(2018, 12, 1))
    change(lead, "reassignAction", "exclusions", owner_agency_id=agency["council"], lead_officer="Head of Inclusion",
           reason="The council's inclusion service leads work with secondary heads", effective_on=date(2018, 9, 1))
    change(council, "startAction", "exclusions", reason=None, effective_on=date(2018, 9, 10))
    change(lead, "cancelAction", "survey", reason="Replaced by the partnership-wide survey in the Improvement Plan",
           effective_on=date(2019, 1, 15))
    step(DFE, "recordJudgement", subject_id=wsoa, body="DFE", outcome=None, rag="AMBER", made_on=date(2018, 12, 18),
         rationale="Progress presented to the DfE and NHS England on 18 December 2018: many actions complete, "
                   "joint commissioning and health advice behind schedule.", inspection_id=None)

    revisit = step(INSPECTOR, "recordInspection", partnership_id=p, framework="LOCAL_AREA_SEND_2016", kind="REVISIT",
                   started_on=date(2019, 10, 15), ended_on=date(2019, 10, 17), revisit_of=inspection).entity_id
    for index, outcome in [(2, "SUFFICIENT_PROGRESS"), (3, "SUFFICIENT_PROGRESS"), (4, "SUFFICIENT_PROGRESS"),
                           (5, "INSUFFICIENT_PROGRESS"), (6, "INSUFFICIENT_PROGRESS")]:
        step(INSPECTOR, "recordJudgement", subject_id=findings[index], body="OFSTED_CQC", outcome=outcome, rag=None,
             made_on=date(2019, 12, 23), inspection_id=revisit,
             rationale=f"Revisit report published 23 December 2019: {outcome.replace('_', ' ').lower()}.")
    step(INSPECTOR, "publishInspection", inspection_id=revisit, published_on=date(2019, 12, 23),
         outcome="WRITTEN_STATEMENT_REQUIRED", expected_version=None)

    improvement = step(lead, "draftPlan", partnership_id=p, kind="IMPROVEMENT_PLAN",
                       title="SEND Partnership Improvement Plan 2019-2020", responds_to=inspection,
                       period_start=date(2019, 1, 1), period_end=date(2020, 12, 31), submission_due=date(2019, 4, 1),
                       effective_on=date(2019, 1, 29)).entity_id
    quality = step(lead, "addPriorityArea", plan_id=improvement, title="The quality of EHC plans", addresses=[],
                   success_measures=["80% of audited EHC plans judged good or better"], expected_version=None,
                   effective_on=date(2019, 2, 22)).extra["priorityAreaId"]
    step(lead, "addPriorityArea", plan_id=improvement, title="Self-evaluation and performance monitoring", addresses=[],
         success_measures=["A partnership scorecard reported each term"], expected_version=None,
         effective_on=date(2019, 2, 22))
    step(lead, "submitPlan", plan_id=improvement, on=date(2019, 4, 1), reason="Approved by the SEND Partnership Board",
         expected_version=None)
    step(DFE, "approvePlan", plan_id=improvement, on=date(2020, 1, 31), reason="Accepted as the updated action plan",
         expected_version=None)
    step(lead, "supersedePlan", plan_id=wsoa, superseded_by=improvement, on=date(2020, 1, 31),
         reason="The Improvement Plan 2019-2020 replaces the WSoA action plan", expected_version=None)
    step(lead, "addAction", plan_id=improvement, priority_area_id=quality, title="Monthly multi-agency audit of EHC plans",
         description="Audits moderated with the parent carer forum", owner_agency_id=agency["council"],
         lead_officer="Head of SEND", due_on=date(2020, 7, 31), effective_on=date(2020, 1, 31))

    metric = step(lead, "defineMetric", partnership_id=p, name="New EHC plans issued within 20 weeks", unit="PERCENT",
                  polarity="HIGHER_IS_BETTER", target=60.0, priority_area_id=quality,
                  effective_on=date(2019, 9, 1)).entity_id
    for period, end, value in [("Autumn term 2019", date(2019, 12, 20), 38.0), ("Spring term 2020", date(2020, 4, 3), 55.5),
                               ("Summer term 2020", date(2020, 7, 22), 63.2)]:
        step(lead, "recordMeasurement", metric_id=metric, period=period, period_end=end, value=value, expected_version=None)
    exclusions = step(lead, "defineMetric", partnership_id=p, name="Fixed-term exclusions of secondary pupils with SEN (rate per 100)",
                      unit="RATE", polarity="LOWER_IS_BETTER", target=8.0, priority_area_id=None,
                      effective_on=date(2019, 9, 1)).entity_id
    for period, end, value in [("Autumn term 2019", date(2019, 12, 20), 11.4), ("Spring term 2020", date(2020, 4, 3), 8.6)]:
        step(lead, "recordMeasurement", metric_id=exclusions, period=period, period_end=end, value=value, expected_version=None)
    return {"lancashire": p, "lancashireInspection": inspection, "lancashireRevisit": revisit, "lancashireWsoa": wsoa,
            "lancashireImprovementPlan": improvement, "lancashireCouncilAgency": agency["council"]}


def bcp(step: Story) -> dict[str, str]:
    p = step(ADMIN, "registerPartnership", name="BCP SEND Partnership",
             local_authority="Bournemouth, Christchurch and Poole Council", effective_on=date(2021, 6, 1)).entity_id
    lead = Principal("director.education@bcpcouncil.gov.uk", Role.PARTNERSHIP_LEAD, p)
    council = step(lead, "addAgency", partnership_id=p, name="BCP Council", kind="LOCAL_AUTHORITY", expected_version=None,
                   effective_on=date(2021, 6, 1)).extra["agencyId"]
    step(lead, "addAgency", partnership_id=p, name="NHS Dorset", kind="HEALTH", expected_version=None,
         effective_on=date(2021, 6, 1))
    step(lead, "addAgency", partnership_id=p, name="Parent Carers Together", kind="PARENT_CARER_FORUM",
         expected_version=None, effective_on=date(2021, 6, 1))
    inspection = step(INSPECTOR, "recordInspection", partnership_id=p, framework="LOCAL_AREA_SEND_2016", kind="FULL",
                      started_on=date(2021, 6, 21), ended_on=date(2021, 6, 25), revisit_of=None).entity_id
    for text in ["Weak strategic leadership of the SEND reforms across the area",
                 "Too many EHC plans are late and of poor quality",
                 "Families wait too long for speech and language therapy",
                 "The local offer is not well known or used by families"]:
        step(INSPECTOR, "recordFinding", inspection_id=inspection, kind="SIGNIFICANT_WEAKNESS", text=text,
             expected_version=None, effective_on=date(2021, 6, 25))
    step(INSPECTOR, "publishInspection", inspection_id=inspection, published_on=date(2021, 9, 1),
         outcome="WRITTEN_STATEMENT_REQUIRED", expected_version=None)
    wsoa = step(lead, "draftPlan", partnership_id=p, kind="WRITTEN_STATEMENT_OF_ACTION",
                title="BCP Written Statement of Action", responds_to=inspection, period_start=date(2021, 12, 7),
                period_end=date(2023, 6, 30), submission_due=date(2021, 12, 7), effective_on=date(2021, 10, 1)).entity_id
    step(lead, "submitPlan", plan_id=wsoa, on=date(2021, 12, 7), reason="Signed off by the Portfolio Holder",
         expected_version=None)
    step(INSPECTOR, "approvePlan", plan_id=wsoa, on=date(2022, 1, 20), reason=None, expected_version=None)
    step(Principal("send.adviser@education.gov.uk", Role.MONITOR), "recordJudgement", subject_id=wsoa, body="DFE",
         outcome="INSUFFICIENT_PROGRESS", rag="RED", made_on=date(2023, 7, 14), inspection_id=None,
         rationale="The pace of change is too slow and too many children experience delays in service provision.")
    plan = step(lead, "draftPlan", partnership_id=p, kind="IMPROVEMENT_PLAN", title="BCP SEND Improvement Plan",
                responds_to=inspection, period_start=date(2024, 1, 1), period_end=date(2026, 12, 31),
                submission_due=date(2024, 1, 31), effective_on=date(2023, 12, 15)).entity_id
    step(lead, "addPriorityArea", plan_id=plan, title="Timely EHC needs assessments", addresses=[],
         success_measures=["EHC plans issued within 20 weeks above the national average"], expected_version=None,
         effective_on=date(2023, 12, 15))
    step(lead, "addAction", plan_id=plan, priority_area_id=None, title="Publish the termly scorecard to scrutiny",
         description="Shared with the Children's Services Overview and Scrutiny Committee each term",
         owner_agency_id=council, lead_officer="Interim Director of Education and Skills", due_on=date(2024, 4, 30),
         effective_on=date(2023, 12, 15))
    metric = step(lead, "defineMetric", partnership_id=p, name="EHC plans issued within 20 weeks", unit="PERCENT",
                  polarity="HIGHER_IS_BETTER", target=50.0, priority_area_id=None, effective_on=date(2023, 12, 15)).entity_id
    step(lead, "recordMeasurement", metric_id=metric, period="Autumn term 2023", period_end=date(2023, 12, 22),
         value=12.0, expected_version=None)
    return {"bcp": p, "bcpWsoa": wsoa, "bcpImprovementPlan": plan}


NORTHBRIDGE_PRIORITY_ACTIONS = [
    # (key, text, responsible agencies, about alternative provision)
    ("waits", "Leaders across education, health and care do not have an accurate, shared understanding of how long "
              "children and young people wait for EHC needs assessments and for therapies, so they cannot act swiftly "
              "to reduce these waits.", ["council", "health"], False),
    ("ehcp", "Too many EHC plans are issued late and are of poor quality: they do not reflect children's needs or "
             "the views of their families, and annual reviews are not completed in time.", ["council", "health"], False),
    ("ap", "Leaders do not know which children with SEND are in alternative provision or on part-time timetables, "
           "or whether that provision meets their needs and keeps them safe.", ["council", "schools"], True),
]
NORTHBRIDGE_AREAS_FOR_IMPROVEMENT = [
    "The local offer is hard to navigate, and families do not know what help is available before an EHC plan.",
    "Preparation for adulthood starts too late for many young people with SEND, especially those moving into "
    "further education.",
]


def northbridge(step: Story) -> dict[str, str]:
    p = step(ADMIN, "registerPartnership", name="Northbridge SEND Partnership (fictional)",
             local_authority="Northbridge Borough Council (fictional)", effective_on=date(2023, 4, 1)).entity_id
    lead = Principal("send.improvement@northbridge.example", Role.PARTNERSHIP_LEAD, p)
    agency = {
        key: step(lead, "addAgency", partnership_id=p, name=name, kind=kind, expected_version=None,
                  effective_on=date(2023, 4, 1)).extra["agencyId"]
        for key, name, kind in [
            ("council", "Northbridge Borough Council", "LOCAL_AUTHORITY"),
            ("health", "NHS Northbridge Integrated Care Board", "HEALTH"),
            ("schools", "Northbridge Schools Partnership", "EDUCATION"),
            ("forum", "Northbridge Parent Carer Forum", "PARENT_CARER_FORUM"),
        ]
    }
    inspection = step(INSPECTOR, "recordInspection", partnership_id=p, framework="AREA_SEND_2023", kind="FULL",
                      started_on=date(2023, 9, 25), ended_on=date(2023, 10, 6), revisit_of=None).entity_id

    def finding(kind: str, text: str, responsible: list[str] = (), alternative_provision: bool = False) -> str:
        return step(INSPECTOR, "recordFinding", inspection_id=inspection, kind=kind, text=text,
                    responsible_agency_ids=[agency[a] for a in responsible],
                    about_alternative_provision=alternative_provision, expected_version=None,
                    effective_on=date(2023, 10, 6)).extra["findingId"]

    priority = {key: finding("PRIORITY_ACTION", text, responsible, ap)
                for key, text, responsible, ap in NORTHBRIDGE_PRIORITY_ACTIONS}
    improvement = [finding("AREA_FOR_IMPROVEMENT", text) for text in NORTHBRIDGE_AREAS_FOR_IMPROVEMENT]
    finding("STRENGTH", "The parent carer forum is a strong, trusted partner, and co-production of new services is "
                        "beginning to make a difference for families.")
    step(INSPECTOR, "publishInspection", inspection_id=inspection, published_on=date(2023, 11, 16),
         outcome="WIDESPREAD_SYSTEMIC_FAILINGS", expected_version=None)

    # Its deadlines are derived from the report's publication: submitted by 9 January, published by 27 February 2024.
    plan = step(lead, "draftPlan", partnership_id=p, kind="PRIORITY_ACTION_PLAN",
                title="Northbridge Priority Action Plan 2024-2025", responds_to=inspection,
                period_start=date(2024, 1, 1), period_end=date(2025, 12, 31), submission_due=None,
                effective_on=date(2023, 11, 20)).entity_id
    areas = {}
    for key, title, addressed, measures in [
        ("waits", "Knowing and reducing waiting times", [priority["waits"]],
         ["A shared dashboard of waits for assessment and therapies, reviewed monthly by the improvement board",
          "No child waits more than 18 weeks for speech and language therapy by March 2025"]),
        ("ehcp", "Timely EHC plans of good quality", [priority["ehcp"], improvement[1]],
         ["60% of new EHC plans issued within 20 weeks by summer 2025",
          "80% of audited plans judged good or better, with families' views"]),
        ("ap", "Children in alternative provision and on part-time timetables", [priority["ap"]],
         ["Every child with SEND in alternative provision known by name, with a review date",
          "Part-time timetables agreed with families and reviewed every six weeks"]),
        ("offer", "A local offer families can use", [improvement[0]], ["Local offer relaunched with the forum"]),
    ]:
        areas[key] = step(lead, "addPriorityArea", plan_id=plan, title=title, addresses=addressed,
                          success_measures=measures, expected_version=None,
                          effective_on=date(2023, 12, 4)).extra["priorityAreaId"]
    step(lead, "submitPlan", plan_id=plan, on=date(2024, 1, 8),
         reason="Signed off by the Director of Children's Services and the ICB's Chief Nurse", expected_version=None)
    step(INSPECTOR, "approvePlan", plan_id=plan, on=date(2024, 2, 6),
         reason="The plan addresses each area for priority action", expected_version=None)

    actions = {}
    for key, area, owner, title, officer, due in [
        ("dashboard", "waits", "health", "Publish a shared dashboard of waits for assessment and therapies",
         "ICB Associate Director of Children's Commissioning", date(2024, 4, 30)),
        ("therapists", "waits", "health", "Recruit four speech and language therapists", "Head of Children's Therapies",
         date(2024, 9, 30)),
        ("hub", "ehcp", "council", "Set up an EHC assessment hub with health advisers in the team", "Head of SEND",
         date(2024, 12, 20)),
        ("audit", "ehcp", "council", "Audit twenty EHC plans a month with the parent carer forum",
         "Principal Educational Psychologist", date(2025, 3, 31)),
        ("register", "ap", "schools", "Keep a register of every child with SEND in alternative provision",
         "Head of Inclusion", date(2024, 3, 31)),
        ("offer", "offer", "forum", "Co-produce the new local offer website", "Forum Chair", date(2024, 10, 31)),
    ]:
        actions[key] = step(lead, "addAction", plan_id=plan, priority_area_id=areas[area], title=title, description=None,
                            owner_agency_id=agency[owner], lead_officer=officer, due_on=due,
                            effective_on=date(2024, 2, 6)).entity_id

    def change(mutation: str, action: str, **arguments: Any) -> None:
        arguments.setdefault("expected_version", None)
        step(lead, mutation, action_id=actions[action], **arguments)

    for key, started in [("dashboard", date(2024, 2, 12)), ("therapists", date(2024, 2, 12)), ("hub", date(2024, 3, 1)),
                         ("audit", date(2024, 3, 1)), ("register", date(2024, 2, 12)), ("offer", date(2024, 4, 2))]:
        change("startAction", key, reason=None, effective_on=started)
    change("completeAction", "dashboard", completed_on=date(2024, 4, 24), note="Live for all partners",
           evidence=["Dashboard published to the improvement board, 24 April 2024"])
    change("completeAction", "register", completed_on=date(2024, 3, 28), note=None,
           evidence=["Register of 212 children, shared with schools and health"])
    change("reportActionProgress", "therapists", note="Two of four posts filled; agency cover for the rest",
           rag="AMBER", effective_on=date(2024, 6, 30))
    change("rescheduleAction", "therapists", due_on=date(2025, 3, 31),
           reason="A second recruitment round was needed", effective_on=date(2024, 9, 18))
    change("reportActionProgress", "hub", note="Hub open; 41% of new plans within 20 weeks", rag="AMBER",
           effective_on=date(2024, 9, 1))
    change("reportActionProgress", "audit", note="Audits monthly since March; 62% of plans good or better",
           rag="GREEN", effective_on=date(2024, 9, 1))
    change("reportActionProgress", "offer", note="Design agreed with the forum", rag="GREEN",
           effective_on=date(2024, 9, 1))
    change("completeAction", "offer", completed_on=date(2024, 10, 29), note="Launched at the forum's conference",
           evidence=["New local offer website live, 29 October 2024"])
    change("completeAction", "hub", completed_on=date(2024, 12, 16), note=None,
           evidence=["Hub staffed by two SEND caseworkers and a designated clinical officer"])
    change("completeAction", "therapists", completed_on=date(2025, 3, 14), note="Four therapists in post",
           evidence=["Appointment letters for four speech and language therapists"])
    change("completeAction", "audit", completed_on=date(2025, 3, 28), note=None,
           evidence=["Audit reports, March 2024 to March 2025"])

    dfe = Principal("send.adviser@education.gov.uk", Role.MONITOR)
    everyone = list(agency.values())
    for who, kind, held, summary, others, decisions, discussed in [
        (lead, "SCRUTINY_COMMITTEE", date(2024, 1, 24),
         "The Children's Services Overview and Scrutiny Committee received the inspection report and the priority "
         "action plan submitted on 8 January.", ["Cabinet Member for Children and Families"],
         ["The committee receives a termly update of progress against the plan"], ["plan"]),
        (lead, "IMPROVEMENT_BOARD", date(2024, 3, 20),
         "First meeting of the SEND improvement board under its independent chair: terms of reference, the plan's "
         "actions and the dashboard of waits.", ["Independent chair"],
         ["Waiting times reported to every board", "Highlight reports from each priority area lead"], ["dashboard", "plan"]),
        (INSPECTOR, "ENGAGEMENT_MEETING", date(2024, 5, 14),
         "Engagement meeting with Ofsted and CQC: progress on each area for priority action since the report.",
         ["Ofsted Senior HMI", "CQC Children's Services Inspector"], [], ["plan"]),
        (dfe, "STOCKTAKE", date(2024, 7, 10),
         "Six-month stocktake with the DfE and NHS England: the register of children in alternative provision is in "
         "place; therapy waits remain too long and EHC plan timeliness is improving slowly.",
         ["DfE SEND adviser", "NHS England SEND lead"],
         ["Therapy recruitment to be escalated to the ICB board", "A further stocktake in January 2025"],
         ["therapists", "hub", "plan"]),
        (lead, "IMPROVEMENT_BOARD", date(2024, 9, 18),
         "The board reviewed progress at the end of the summer term and agreed to move the therapy recruitment date.",
         ["Independent chair"], ["Therapy recruitment due by March 2025"], ["therapists", "plan"]),
        (INSPECTOR, "ENGAGEMENT_MEETING", date(2024, 11, 12),
         "Second engagement meeting with Ofsted and CQC, ahead of the monitoring inspection.",
         ["Ofsted Senior HMI", "CQC Children's Services Inspector"], [], ["plan"]),
    ]:
        step(who, "recordMeeting", partnership_id=p, kind=kind, held_on=held, summary=summary,
             attending_agency_ids=everyone, other_attendees=others, decisions=decisions,
             action_ids=[actions[d] for d in discussed if d != "plan"], plan_ids=[plan] if "plan" in discussed else [])
    for area, rag, made in [("waits", "AMBER", date(2024, 9, 18)), ("ehcp", "AMBER", date(2024, 9, 18)),
                            ("ap", "GREEN", date(2024, 9, 18))]:
        step(lead, "recordJudgement", subject_id=areas[area], body="IMPROVEMENT_BOARD", outcome=None, rag=rag,
             made_on=made, inspection_id=None, rationale="The improvement board's rating at the end of the summer term.")

    metric = step(lead, "defineMetric", partnership_id=p, name="New EHC plans issued within 20 weeks", unit="PERCENT",
                  polarity="HIGHER_IS_BETTER", target=60.0, priority_area_id=areas["ehcp"], baseline=23.0,
                  baseline_period="2022-23", amber_tolerance=0.10, effective_on=date(2023, 12, 4)).entity_id
    for period, end, target in [("Summer term 2024", date(2024, 7, 23), 35.0), ("Summer term 2025", date(2025, 7, 22), 50.0)]:
        step(lead, "setMetricMilestone", metric_id=metric, period=period, period_end=end, target=target,
             expected_version=None, effective_on=date(2023, 12, 4))
    for period, end, value, england, neighbours in [
        ("Autumn term 2023", date(2023, 12, 20), 24.0, 50.3, 47.5), ("Spring term 2024", date(2024, 3, 27), 29.5, None, 48.0),
        ("Summer term 2024", date(2024, 7, 23), 36.0, None, 48.8), ("Autumn term 2024", date(2024, 12, 20), 41.0, 46.4, 47.9),
    ]:
        step(lead, "recordMeasurement", metric_id=metric, period=period, period_end=end, value=value,
             england_average=england, statistical_neighbours=neighbours, expected_version=None)

    monitoring = step(INSPECTOR, "recordInspection", partnership_id=p, framework="AREA_SEND_2023", kind="MONITORING",
                      started_on=date(2025, 5, 12), ended_on=date(2025, 5, 16), revisit_of=inspection).entity_id
    for key, outcome, rationale in [
        ("waits", "SUFFICIENT_PROGRESS", "Leaders now know how long children wait and have cut waits for assessment."),
        ("ehcp", "SUFFICIENT_PROGRESS", "More plans are issued on time, and audits show their quality improving."),
        ("ap", "INSUFFICIENT_PROGRESS", "Children in alternative provision are known, but too many remain on "
                                        "part-time timetables without review."),
    ]:
        step(INSPECTOR, "recordJudgement", subject_id=priority[key], body="OFSTED_CQC", outcome=outcome, rag=None,
             made_on=date(2025, 6, 24), inspection_id=monitoring, rationale=rationale)
    step(INSPECTOR, "publishInspection", inspection_id=monitoring, published_on=date(2025, 6, 24), outcome=None,
         expected_version=None)
    # What the monitoring inspection found insufficient gets an action of its own.
    reviews = step(lead, "addAction", plan_id=plan, priority_area_id=areas["ap"], description=None,
                   title="Review every part-time timetable with the child's family every six weeks",
                   owner_agency_id=agency["schools"], lead_officer="Head of Inclusion", due_on=date(2026, 3, 31),
                   effective_on=date(2025, 7, 1)).entity_id
    step(lead, "startAction", action_id=reviews, reason=None, expected_version=None, effective_on=date(2025, 7, 1))
    return {"northbridge": p, "northbridgeInspection": inspection, "northbridgeMonitoring": monitoring,
            "northbridgePriorityActionPlan": plan}
