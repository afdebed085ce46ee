// Package deploycheck reads s.yaml, the Serverless Devs description of the
// deployed function, and holds the checks that keep it deployable: the
// variables it passes (FC hands a function only those), FC's 4 KB limit on
// them, and what the offline "s deploy" test (deploy_test.go) asserts.
//
// # The README's Deploy steps
//
// TestDeployReadme (readme_test.go) follows README.md's Deploy section: every shell block, read
// from README.md at test time, in the order written, in a copy of the repository's tracked files,
// with the README's placeholders filled in and only the variables the README sets. aliyun and
// ossutil are shims on PATH that record their arguments and the files they are handed (a file://
// argument that does not exist fails the call); s is the real s against the fc3 stand-in below;
// only make smoke, which needs a deployed URL, does not run. It then checks the record: the bucket
// made and given the printed CORS and lifecycle rules, the three roles made with their trust
// policies, the printed policies for the bucket of .env attached (multipart's actions among them),
// and both functions deployed with .env's values and roles.
//
// # The offline deploy test
//
// The offline deploy test (pkg/devtools/deploycheck): the real "s" 3.1.10 from .ci/node_modules
// runs "make deploy" twice and "make rollback VERSION=1". It uses a throwaway HOME, an alias made
// by "s config add", and no network: NODE_ENV=test stops "s"'s update and report daemons, and a
// proxy catches anything else, naming it. s.yaml's component is pointed at .ci/fc3-standin through
// S_FC3_COMPONENT. That stand-in is the one fake here, because the cloud cannot be reached. It does
// what fc3 does before any cloud call: inputs.getCredential(), a check of the props against fc3's
// own schema (the check fails the deploy), the code package it would zip, versions, aliases and the
// trigger's qualifier. It records each call. The test asserts on that record:
//
//   - the credential of the -a alias;
//   - exactly pkg/config's variables, rendered, within FC's 4 KB;
//   - a code package that is the executable "main" alone;
//   - version 1, "prod" moved to it, and the trigger on "prod";
//   - after the rollback, "prod" back at 1.
//
// It also checks that "s" refuses a deploy without OSS_BUCKET or without a JWT key source.
// TestEnvironmentVariablesAreConfigVariables compares s.yaml's variables with config.Variables,
// which pkg/config's tests tie to what Load reads. Without .ci/node_modules the deploy test is
// skipped, loudly. .ci/run sets OSSBROKER_REQUIRE_DEPLOY=1, so there the skip is a failure.
package deploycheck
