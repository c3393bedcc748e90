"""The webhook deliveries' statements on a real store (each store): pruning keeps what is not settled for good."""

from service.bootstrap import bootstrap
from service.webhooks import deliveries as d
from service.webhooks.deliveries import DeliveryStatus

DAY = 86_400_000


def test_deliveries_settled_for_good_are_pruned_once_old_and_the_rest_kept(store):
    commands = bootstrap().commands
    now = 100 * DAY
    rows = [("old-delivered", DeliveryStatus.DELIVERED, now - 31 * DAY), ("old-given-up", DeliveryStatus.GIVEN_UP, now - 40 * DAY),
            ("old-failing", DeliveryStatus.FAILED, now - 31 * DAY), ("recent", DeliveryStatus.DELIVERED, now - DAY)]
    with commands.read_model.store.writer() as w:
        w.executemany("INSERT INTO webhook_deliveries (webhook_id, position, status, last_attempt_at) VALUES (?,?,?,?)",
                      [(webhook, 1, str(status), at) for webhook, status, at in rows])
    with commands.read_model.store.writer() as w:
        d.prune(w, now - 30 * DAY)
        left = w.fetch("SELECT webhook_id FROM webhook_deliveries ORDER BY webhook_id", ())
    assert [r["webhook_id"] for r in left] == ["old-failing", "recent"]
