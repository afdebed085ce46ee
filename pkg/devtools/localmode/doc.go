// Command localmode is "make run": the broker function on one machine with
// no cloud account. It starts a local OSS server (package ossemu), then the
// broker (wired by package assemble, as deployed) behind a local FC3 HTTP
// trigger (package fcemu), and the inspector function behind a local OSS
// trigger. None of this is linked into the deployed binary
// (functions/broker), and a test there keeps it so.
//
// # Local mode
//
// Local mode ("make run", i.e. "go run ./pkg/devtools/localmode") also reads OSS_EMULATOR_ADDR
// (127.0.0.1:9100), BROKER_ADDR (127.0.0.1:9000), DEV_DATA_DIR (.data/, git-ignored; objects
// survive a restart, and so do the values local mode generated, kept in local-secrets.env there,
// mode 0600, so the last run's tokens stay valid), OSS_EMULATOR_POLICY (a RAM policy file for
// the RAM user; default: what -print-ram-policy prints for the configuration, e.g.
// oss:PutObject, oss:ListParts, oss:AbortMultipartUpload and oss:GetObject on
// acs:oss:*:*:<bucket>/<prefix>*), and
// OSS_EMULATOR_OWNER_KEY_ID/_SECRET (the account owner, full access). Unset key pairs and the HS256
// secret are generated, and the banner prints the values it generated (with a dev token signed with
// the generated secret); a value taken from your environment is never printed, only named ("from
// your environment, not printed"), and with your own JWT_HS256_SECRET the banner prints no token
// (the curl lines say <token>; the demo page still gets one from "GET /dev/token"). -oss-only
// starts only the OSS server; -runtime-api delivers events through a local runtime API to fc.Start.
// Local mode also serves the demo page at "/" and a fresh dev token at "GET /dev/token" (neither
// exists in the deployed function; the token goes only to a loopback client that names a loopback
// host, "localhost", 127.x.y.z or [::1], with any port, so a page elsewhere whose name is made to
// resolve to 127.0.0.1, DNS rebinding, gets 403); the local bucket's CORS rule is
// -print-bucket-cors's for ALLOWED_ORIGINS plus the page's own origins (http://127.0.0.1:<port> and
// http://localhost:<port>).
//
// Upload callbacks are on: unless set, PUBLIC_BASE_URL is http://<BROKER_ADDR>, so the local OSS
// server calls the broker back and each upload's own answer is the broker's receipt with its
// verdict (the demo page shows it). PUBLIC_BASE_URL=off turns them off; the demo page then says
// "verdict pending", never "stored", since the inspector may still reject the upload.
//
// Local mode also runs the inspector function (package uploadevent, what functions/inspector runs
// in the cloud) behind a local OSS trigger: after each PutObject, PostObject and
// CompleteMultipartUpload under the prefix's literal part, the local OSS server sends the event in
// FC's OssEvent shape, asynchronously, through the SDK's handler wrapper, and a failed invocation
// is retried as FC does (8 retries, 0.5 s then doubling). The inspector signs with its own key
// pair, OSS_INSPECTOR_KEY_ID/_SECRET (generated when unset), limited by the policy its
// -print-ram-policy prints. Unless NOTIFICATION_URL is set, notifications go to local mode's own
// webhook sink: NOTIFICATION_URL becomes http://<BROKER_ADDR>/v1/webhooks/uploads, a Standard
// Webhooks source "uploads" is added to WEBHOOK_SOURCES in the first free WEBHOOK_SECRET_<n> slot,
// with NOTIFICATION_SECRET (generated, and printed, when unset); each verdict is then stored under
// <prefix>webhooks/uploads/upl_<hash>.json. Presigned PUTs then list x-oss-meta-ossbroker-sub among
// their headers (the banner's curl line sends it).
//
// # Tests in a real browser
//
//   - the real-browser test (TestBrowser in pkg/devtools/localmode, "make test-browser" alone):
//     headless Debian Chromium, driven by playwright-core (pkg/devtools/localmode/webtest/), opens
//     local mode's demo page, uploads a small text file and a 20 MiB binary file cross-origin (a
//     real CORS preflight against the local bucket's rule), waits for both progress bars to reach
//     100%, checks that a key outside the prefix shows the 403 on the page and that a page on an
//     origin the bucket rule does not list cannot upload; then the OSS SDK, with the owner's key
//     pair, checks that the bucket holds exactly the uploaded bytes and nothing else. A screenshot
//     of the page after the uploads lands in pkg/devtools/localmode/webtest/out/uploads.png. Then a
//     64 MiB file goes as a multipart upload (the page switches above 32 MiB: one "POST
//     /v1/multipart", one batch of 8 part URLs, 8 part PUTs four at a time, complete; one overall
//     bar, checked to rise to 100%), a small file goes as a POST form, and a file over the form's
//     64 KiB limit comes back as OSS's 400 EntityTooLarge; the SDK check covers those bytes too
//     (screenshot multipart-and-form.png). Last, a 72 MiB multipart upload is cut short by a page
//     reload and picked again: the page resumes it ("POST /v1/multipart/list") and sends only the
//     parts OSS does not hold.
//   - Uppy (TestUppy): Uppy 6 (@uppy/core and @uppy/aws-s3 6.3.1, webtest/uppy6/) and Uppy 5 (5.2.0
//     and 5.1.0, webtest/uppy5/), each with the glue of the Clients section taken from README.md
//     and bundled by esbuild (0.28.2) at test time, in headless Chromium: a small file (one PUT), a
//     24 MiB multipart file, a multipart upload removed after its first part (the abort must reach
//     the broker and answer 204), and a 48 MiB one resumed after a page reload (no part stored
//     before the reload is sent again). The OSS SDK then checks that the bucket holds exactly those
//     files' bytes, once each, and nothing of the removed ones.
package main
