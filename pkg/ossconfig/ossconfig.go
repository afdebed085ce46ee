// Package ossconfig says what has to be configured on the OSS side for this
// broker: the least-privilege RAM policy for the key pair (or role) the broker
// signs with, and the bucket CORS rule that browser uploads to its presigned
// URLs need. The binary prints both (-print-ram-policy, -print-bucket-cors).
package ossconfig

import (
	"encoding/json"
	"errors"
	"slices"
	"time"
)

// BrokerActions are the OSS actions the broker's upload routes perform: a
// presigned URL is a PutObject, and a direct upload is a PutObject done by
// the broker. So are a PostObject form and a multipart upload's initiate,
// parts and complete.
var BrokerActions = []string{"oss:PutObject"}

// DownloadActions are what POST /v1/presign-get needs: a presigned GET is a
// GetObject. Leave them out of the policy and the URLs it signs fail at
// OSS with 403.
var DownloadActions = []string{"oss:GetObject"}

// MultipartActions are what the multipart routes add: before completing,
// the broker lists the parts (to know the size and name a missing or
// mismatched part), and it aborts on request.
var MultipartActions = []string{"oss:ListParts", "oss:AbortMultipartUpload"}

// InspectActions are what upload inspection needs (PUBLIC_BASE_URL set):
// one ranged GET of each upload's first bytes.
var InspectActions = []string{"oss:GetObject"}

// VerdictActions are what a rejection does on the upload prefix, per
// REJECTED_UPLOADS: quarantine copies it out (a CopyObject reads the
// source with oss:GetObject, which InspectActions has) and deletes the
// original, delete deletes it, tag tags it. Each checks the version with a
// HEAD first (oss:GetObject too).
var VerdictActions = map[string][]string{
	"quarantine": {"oss:DeleteObject"},
	"delete":     {"oss:DeleteObject"},
	"tag":        {"oss:PutObjectTagging"},
}

// QuarantineActions are what quarantine needs on the quarantine folder: the
// copy's write (oss:PutObject), and a read of a quarantined copy
// (oss:GetObject) to answer the verdict of an upload the other path (the
// callback or complete route, or the inspector function) moved already.
var QuarantineActions = []string{"oss:PutObject", "oss:GetObject"}

// Quarantine returns p with the rights on the quarantine folder that
// REJECTED_UPLOADS=quarantine needs (none for other modes): actions on
// folder only, which no uploader's presigned request can reach (it is
// outside the upload prefix, and the broker signs only keys inside it).
func (p Policy) Quarantine(bucket, folder, rejectAction string, actions ...string) Policy {
	if rejectAction != "quarantine" {
		return p
	}
	return p.Allow(bucket, folder, actions...)
}

// Policy is a RAM policy document in the OSS docs' format (Version "1").
type Policy struct {
	Version   string
	Statement []Statement
}

// Statement is one Allow statement. Action and Resource are always lists,
// which RAM accepts as well as single strings.
type Statement struct {
	Effect   string
	Action   []string
	Resource []string
}

// RAMPolicy allows actions on the objects under pattern in bucket, in any
// region and account: acs:oss:*:*:<bucket>/<pattern>*. pattern is the
// upload prefix with each claim placeholder as "*" (objectkey's
// Policy.Pattern, e.g. "exampledir/*/"), so a per-user prefix is covered
// for every user while the broker's key gate keeps each one in their folder.
func RAMPolicy(bucket, pattern string, actions []string) Policy {
	return Policy{Version: "1"}.Allow(bucket, pattern, actions...)
}

// Allow returns p with one more Allow statement: actions on the objects
// under pattern in bucket (e.g. a read on one folder only).
func (p Policy) Allow(bucket, pattern string, actions ...string) Policy {
	p.Statement = append(slices.Clip(p.Statement), Statement{
		Effect:   "Allow",
		Action:   slices.Clone(actions),
		Resource: []string{"acs:oss:*:*:" + bucket + "/" + pattern + "*"},
	})
	return p
}

// CORSConfiguration is a bucket's CORS configuration in the JSON form that
// "ossutil api put-bucket-cors --cors-configuration file://cors.json" takes:
// PutBucketCors' XML body without its CORSConfiguration root, repeated
// elements as lists.
type CORSConfiguration struct {
	CORSRule     []CORSRule
	ResponseVary bool
}

// CORSRule is one bucket CORS rule.
type CORSRule struct {
	AllowedOrigin []string
	AllowedMethod []string
	AllowedHeader []string
	ExposeHeader  []string
	MaxAgeSeconds int
}

// Browser uploads with presigned URLs: the PUT carries Content-Type, the
// signed x-oss-* headers (forbid-overwrite, meta, and with PUBLIC_BASE_URL
// the upload callback's x-oss-callback and x-oss-callback-var) and, when
// the caller asked for one, Content-MD5. A PostObject form is a POST, and a page that fetches
// a presigned download sends a GET. The page reads ETag (multipart parts)
// and OSS's request id.
var (
	uploadMethods = []string{"PUT", "POST", "GET"}
	uploadHeaders = []string{"content-type", "content-md5", "x-oss-*"}
	exposeHeaders = []string{"ETag", "x-oss-request-id"}
)

// CORSMaxAge is how long browsers may cache the preflight, in seconds.
const CORSMaxAge = 600

// ErrNoOrigins is returned by [BucketCORS] for an empty origin list: OSS
// requires at least one AllowedOrigin.
var ErrNoOrigins = errors.New("ossconfig: no origins: set ALLOWED_ORIGINS to the origins of the pages that upload (or *)")

// BucketCORS is the CORS configuration browser uploads need: PUT from
// origins (exact, or "*"), the request headers the broker's presigned URLs
// require, ETag and x-oss-request-id exposed.
func BucketCORS(origins []string) (CORSConfiguration, error) {
	if len(origins) == 0 {
		return CORSConfiguration{}, ErrNoOrigins
	}
	return CORSConfiguration{CORSRule: []CORSRule{{
		AllowedOrigin: slices.Clone(origins),
		AllowedMethod: slices.Clone(uploadMethods),
		AllowedHeader: slices.Clone(uploadHeaders),
		ExposeHeader:  slices.Clone(exposeHeaders),
		MaxAgeSeconds: CORSMaxAge,
	}}}, nil
}

// JSON is the document as printed: indented, ending in a newline.
func JSON(v any) ([]byte, error) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// LifecycleConfiguration is a bucket's lifecycle configuration in the JSON
// form "ossutil api put-bucket-lifecycle --lifecycle-configuration
// file://lifecycle.json" takes: PutBucketLifecycle's XML body without its
// LifecycleConfiguration root, repeated elements as lists.
type LifecycleConfiguration struct {
	Rule []LifecycleRule
}

// LifecycleRule is one lifecycle rule; only the parts the broker needs.
type LifecycleRule struct {
	ID                   string
	Prefix               string
	Status               string
	Expiration           *Expiration           `json:",omitempty"`
	AbortMultipartUpload *AbortMultipartUpload `json:",omitempty"`
}

// Expiration deletes objects Days after their last modification.
type Expiration struct {
	Days int
}

// QuarantineRuleID names the rule that expires quarantined uploads.
const QuarantineRuleID = "ossbroker-expire-quarantine"

// ExpireQuarantine returns c with one more rule: objects under folder (the
// quarantine) are deleted days after they were moved there.
func (c LifecycleConfiguration) ExpireQuarantine(folder string, days int) LifecycleConfiguration {
	c.Rule = append(slices.Clip(c.Rule), LifecycleRule{
		ID: QuarantineRuleID, Prefix: folder, Status: "Enabled", Expiration: &Expiration{Days: days},
	})
	return c
}

// AbortMultipartUpload deletes the parts of uploads not completed within
// Days of their last part.
type AbortMultipartUpload struct {
	Days int
}

// LifecycleRuleID names the broker's rule, so that it can be found among
// the bucket's other rules.
const LifecycleRuleID = "ossbroker-abort-incomplete-multipart"

// MultipartAbortDays is when OSS may drop an unfinished upload's parts:
// the handle lifetime rounded up to whole days, plus one day of margin,
// because OSS counts from a part's last update and runs lifecycle rules
// asynchronously, and a client may upload its last part and complete
// right up to the handle's expiry. Before that, no upload the broker still
// accepts a completion for loses its parts.
func MultipartAbortDays(handleTTL time.Duration) int {
	const day = 24 * time.Hour
	return int((handleTTL+day-1)/day) + 1
}

// BucketLifecycle is the lifecycle rule that aborts the broker's
// incomplete multipart uploads under prefix after [MultipartAbortDays].
// PutBucketLifecycle replaces a bucket's whole configuration: merge this
// rule into any the bucket already has.
func BucketLifecycle(prefix string, handleTTL time.Duration) LifecycleConfiguration {
	return LifecycleConfiguration{Rule: []LifecycleRule{{
		ID:                   LifecycleRuleID,
		Prefix:               prefix,
		Status:               "Enabled",
		AbortMultipartUpload: &AbortMultipartUpload{Days: MultipartAbortDays(handleTTL)},
	}}}
}

// InspectorPolicy is the least privilege of the OSS-triggered inspector
// function (functions/inspector), a policy of its own: read each upload's
// first bytes and metadata (GetObject, which HEAD needs too), act on a
// rejection per REJECTED_UPLOADS (DeleteObject, or PutObjectTagging), and
// in tag mode read the tags (GetObjectTagging) so that a rejection stands,
// all on the upload prefix; in quarantine mode, write to and read from the
// quarantine folder (quarantineFolder) and nothing else there. It never
// writes an object in the upload prefix.
func InspectorPolicy(bucket, pattern, quarantineFolder, rejectAction string) Policy {
	actions := slices.Concat(InspectActions, VerdictActions[rejectAction])
	if rejectAction == "tag" {
		actions = append(actions, "oss:GetObjectTagging")
	}
	return RAMPolicy(bucket, pattern, actions).
		Quarantine(bucket, quarantineFolder, rejectAction, QuarantineActions...)
}
