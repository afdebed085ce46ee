// Verifies notifications with the Standard Webhooks reference library.
// argv[2]: a JSON file [{"headers":{...},"body":"..."}]; the secret comes
// from NOTIFICATION_SECRET. Prints one line per delivery: "ok <id> <type>"
// or "fail <reason>"; exits 1 if any fails.
import { readFileSync } from "node:fs";
import { Webhook } from "standardwebhooks";

const wh = new Webhook(process.env.NOTIFICATION_SECRET.replace(/^whsec_/, ""));
const deliveries = JSON.parse(readFileSync(process.argv[2], "utf8"));
let bad = 0;
for (const d of deliveries) {
  try {
    const payload = wh.verify(d.body, d.headers);
    console.log(`ok ${d.headers["webhook-id"]} ${payload.type}`);
  } catch (e) {
    bad++;
    console.log(`fail ${e.message}`);
  }
}
process.exit(bad ? 1 : 0);
