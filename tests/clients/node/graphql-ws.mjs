// graphql-ws 6, following the log across forced disconnects: every event after START exactly once, in order.
import { appendFileSync } from "node:fs";
import RealWebSocket from "ws";
import { report, url, token } from "./harness.mjs";

const wanted = Number(process.env.COUNT), dropEvery = Number(process.env.DROP_EVERY);
const partnershipId = process.env.PARTNERSHIP_ID;
const received = [], connections = [];
let drops = 0;

// Node has no WebSocket of its own before version 22: the `ws` package's, recording each connection so that the
// test can cut it as a network failure would (no close frame: code 1006).
class WebSocket extends RealWebSocket {
  constructor(...args) {
    super(...args);
    connections.push(this);
  }
}
const freshToken = async () => token;
const savedPosition = () => process.env.START;
const save = () => {};
function handle(event) {
  received.push(event.position);
  if (received.length === wanted) {
    dispose();
    report({ received, drops, connections: connections.length });
  } else if (received.length % dropEvery === 0 && connections.at(-1).readyState === RealWebSocket.OPEN) {
    drops += 1; // (events already read from a connection when it is cut still arrive)
    connections.at(-1).terminate();
    appendFileSync(process.env.DROPS_FILE, "cut\n"); // the test writes the next events once it reads this
  }
}

// README: graphql-ws
import { createClient } from "graphql-ws";

let last = savedPosition(); // the position of the last event handled; null: from now on
const client = createClient({
  url: url.replace(/^http/, "ws"),
  webSocketImpl: WebSocket, // in Node only (the `ws` package); browsers have their own
  lazy: true, // connected while a subscription is open
  retryAttempts: Infinity, // reconnect after any drop, with graphql-ws's backoff...
  connectionParams: async () => ({ Authorization: `Bearer ${await freshToken()}` }), // ...and a token fresh each time
});

const dispose = client.subscribe(
  {
    query: `subscription Follow($partnershipId: ID, $after: String) {
      events(partnershipId: $partnershipId, after: $after) { position type entityId data }
    }`,
    // graphql-ws sends this payload again when it reconnects: read at each sending, `after` is the last position
    // received, so that the service resumes there, with no event repeated and none missed.
    get variables() {
      return { partnershipId, after: last };
    },
  },
  {
    next: ({ data }) => {
      last = data.events.position;
      save(last);
      handle(data.events);
    },
    error: (error) => report({ error: String(error?.reason ?? JSON.stringify(error)), received }),
    complete: () => {},
  },
);
// README end
