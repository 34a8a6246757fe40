"""What the graph projection makes of the events customer journeys read: activities linked to
what they are about, deal stage moves (and the pipelines' stages they name), and deletions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

from crmgraph.events import codec, payloads, states
from crmgraph.graph.changes import changes_of
from crmgraph.graph.model import Deletion

T0 = datetime(2026, 11, 1, 9, 30, tzinfo=UTC)
TENANT = "t1"


def _row(**fields: Any) -> dict[str, Any]:
    return {"id": uuid4(), "tenant_id": TENANT, "created_at": T0, "updated_at": T0, **fields}


def task(**fields: Any) -> states.TaskState:
    values = _row(title="Send deck", description=None, due_date=None, priority="MEDIUM",
                  status="PENDING", assigned_to_id=None, completed_at=None, due_notified_at=None,
                  related_type="LEAD", related_id=uuid4())  # fmt: skip
    return states.TaskState(**{**values, **fields})


def deal(stage_id: UUID) -> states.DealState:
    return states.DealState(**_row(
        title="Big", value=Decimal("10.00"), currency="USD", pipeline_id=uuid4(),
        stage_id=stage_id, probability=50, status="ACTIVE", expected_close_date=None,
        actual_close_date=None, description=None, custom_fields=None, contact_id=None,
        account_id=None, owner_id=None, stage_entered_at=T0))  # fmt: skip


def stage(name: str, pipeline_id: UUID) -> states.PipelineStageState:
    return states.PipelineStageState(**_row(pipeline_id=pipeline_id, name=name, position=1,
                                            probability=10, automation_rules=None))  # fmt: skip


def test_a_completed_task_is_an_activity_about_its_lead_at_its_completion() -> None:
    done = task(status="COMPLETED", completed_at=T0 + timedelta(days=2),
                updated_at=T0 + timedelta(days=2))  # fmt: skip

    (node,) = changes_of(payloads.TaskCompleted(task=done)).nodes

    assert (node.label, node.id, node.version) == ("Activity", str(done.id),
                                                  "2026-11-03T09:30:00.000000")  # fmt: skip
    assert node.links == {"contact": None, "lead": str(done.related_id), "account": None,
                          "deal": None}  # fmt: skip
    assert (node.props["type"], node.props["subject"], node.props["completed"]) == (
        "TASK", "Send deck", True)  # fmt: skip
    assert node.props["occurred_at"] == T0 + timedelta(days=2)


def test_a_communication_without_subject_is_titled_by_its_type() -> None:
    call = states.CommunicationState(**_row(
        type="CALL", direction="INBOUND", subject=None, content="hi", occurred_at=T0,
        participant_ids=None, related_type="ACCOUNT", related_id=uuid4()))  # fmt: skip

    (node,) = changes_of(payloads.ActivityCreated(communication=call)).nodes

    assert (node.props["subject"], node.props["channel"]) == ("CALL", "CALL")
    assert node.links["account"] == str(call.related_id) and node.links["contact"] is None


def test_a_deleted_activity_leaves_the_graph() -> None:
    gone = task()

    changes = changes_of(payloads.ActivityDeleted(task=gone))

    assert changes.nodes == [] and changes.deletions == [Deletion("Activity", TENANT,
                                                                  str(gone.id))]  # fmt: skip


def test_a_stage_move_writes_the_deal_and_the_move_between_stages() -> None:
    before, after = uuid4(), uuid4()
    the_deal = deal(after)
    move = states.DealStageChangeState(**_row(
        deal_id=the_deal.id, from_stage_id=before, to_stage_id=after, changed_by_id=None,
        reason="signed"))  # fmt: skip
    event = payloads.DealStageChanged(deal=the_deal, from_stage_id=before, to_stage_id=after,
                                      from_stage_name="Lead", to_stage_name="Won", reason="signed",
                                      deal_stage_change=move)  # fmt: skip

    nodes = changes_of(codec.decode(event.TOPIC.value, codec.encode(event))).nodes

    assert [n.label for n in nodes] == ["Deal", "StageMove"]
    assert nodes[1].links == {"deal": str(the_deal.id), "from": str(before), "to": str(after)}
    assert nodes[1].props == {"moved_at": T0, "reason": "signed"}


def test_a_stage_move_recorded_before_moves_were_carried_writes_the_deal_only() -> None:
    before, after = uuid4(), uuid4()
    event = payloads.DealStageChanged(deal=deal(after), from_stage_id=before, to_stage_id=after,
                                      from_stage_name="Lead", to_stage_name="Won",
                                      reason=None)  # fmt: skip
    body = codec.encode(event)
    del body["deal_stage_change"]  # as events written before the field was added

    nodes = changes_of(codec.decode(event.TOPIC.value, body)).nodes

    assert [n.label for n in nodes] == ["Deal"]


def test_pipeline_stages_come_with_their_pipeline_and_a_removed_one_goes() -> None:
    pipeline = states.PipelineState(**_row(name="Sales", description=None))
    lead, won = stage("Lead", pipeline.id), stage("Won", pipeline.id)

    made = changes_of(payloads.PipelineCreated(pipeline=pipeline, stages=[lead, won]))
    renamed = changes_of(payloads.PipelineChanged(pipeline=pipeline, change="stage_updated",
                                                  stage=lead))  # fmt: skip
    removed = changes_of(payloads.PipelineChanged(pipeline=pipeline, change="stage_removed",
                                                  stage=won))  # fmt: skip

    assert [(n.label, n.props.get("name")) for n in made.nodes] == [
        ("Pipeline", "Sales"), ("Stage", "Lead"), ("Stage", "Won")]  # fmt: skip
    assert made.nodes[1].links == {"pipeline": str(pipeline.id)}
    assert [n.label for n in renamed.nodes] == ["Pipeline", "Stage"]
    assert removed.deletions == [Deletion("Stage", TENANT, str(won.id))]
    assert changes_of(payloads.PipelineDeleted(pipeline=pipeline)).deletions == [
        Deletion("Pipeline", TENANT, str(pipeline.id))]  # fmt: skip
