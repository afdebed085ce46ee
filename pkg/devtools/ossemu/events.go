package ossemu

import (
	"encoding/json"
	"net"
	"net/http"
	"strings"
)

// EventTrigger is a local OSS trigger: after a write whose event name
// matches Events and whose key has Prefix and Suffix, the server hands the
// OSS event JSON, in the shape FC documents (one record; the SDK's
// events.OssEvent), to Deliver.
// OSS sends events asynchronously and independently of the write's answer
// (and of its callback): Deliver must not block; fcemu.Async.Submit is
// the intended one, which invokes the function named by the trigger and
// retries failures as FC does.
type EventTrigger struct {
	// Events are event names as a trigger configuration spells them
	// (triggerConfig.events in s.yaml), such as oss:ObjectCreated:PutObject;
	// oss:ObjectCreated:* matches every ObjectCreated event.
	Events         []string
	Prefix, Suffix string
	Deliver        func(event []byte)
}

// AccountID is the account id the emulator puts in ARNs and identities.
const AccountID = "1234567890123456"

func (t *EventTrigger) matches(name, key string) bool {
	if !strings.HasPrefix(key, t.Prefix) || !strings.HasSuffix(key, t.Suffix) {
		return false
	}
	for _, e := range t.Events {
		if e == name || (strings.HasSuffix(e, ":*") && strings.HasPrefix(name, strings.TrimSuffix(e, "*"))) {
			return true
		}
	}
	return false
}

// emit sends the ObjectCreated:<op> event of the committed object m to
// every matching trigger. Triggers name events as the trigger
// configuration does (oss:ObjectCreated:PutObject); the event itself names
// them without the prefix, as FC delivers them.
func (s *Server) emit(r *http.Request, m *objMeta, reqID, op string) {
	if len(s.cfg.Triggers) == 0 {
		return
	}
	name := "ObjectCreated:" + op
	var body []byte
	for i := range s.cfg.Triggers {
		t := &s.cfg.Triggers[i]
		if !t.matches("oss:"+name, m.Key) {
			continue
		}
		if body == nil {
			body = s.eventJSON(r, m, reqID, name)
		}
		t.Deliver(body)
	}
}

// The event's JSON, key for key and type for type as FC documents it (the
// SDK's events.OssEvent decodes it, but encodes eventTime without its
// fixed milliseconds and absent fields as null).
type (
	ossEvent struct {
		Events []ossRecord `json:"events"`
	}
	ossRecord struct {
		EventName         string  `json:"eventName"`
		EventSource       string  `json:"eventSource"`
		EventTime         string  `json:"eventTime"`
		EventVersion      string  `json:"eventVersion"`
		Oss               ossBody `json:"oss"`
		Region            string  `json:"region"`
		RequestParameters struct {
			SourceIPAddress string `json:"sourceIPAddress"`
		} `json:"requestParameters"`
		ResponseElements struct {
			RequestID string `json:"requestId"`
		} `json:"responseElements"`
		UserIdentity struct {
			PrincipalID string `json:"principalId"`
		} `json:"userIdentity"`
	}
	ossBody struct {
		Bucket struct {
			Arn           string `json:"arn"`
			Name          string `json:"name"`
			OwnerIdentity string `json:"ownerIdentity"`
			VirtualBucket string `json:"virtualBucket"`
		} `json:"bucket"`
		Object struct {
			DeltaSize  int64  `json:"deltaSize"`
			ETag       string `json:"eTag"`
			Key        string `json:"key"`
			ObjectMeta struct {
				MimeType string `json:"mimeType"`
			} `json:"objectMeta"`
			Size int64 `json:"size"`
		} `json:"object"`
		OssSchemaVersion string `json:"ossSchemaVersion"`
		RuleID           string `json:"ruleId"`
	}
)

// EventTimeFormat is how an OSS event writes eventTime: UTC, always three
// fractional digits.
const EventTimeFormat = "2006-01-02T15:04:05.000Z"

func (s *Server) eventJSON(r *http.Request, m *objMeta, reqID, name string) []byte {
	ip := r.RemoteAddr
	if h, _, err := net.SplitHostPort(ip); err == nil {
		ip = h
	}
	rec := ossRecord{EventName: name, EventSource: "acs:oss", EventTime: s.now().UTC().Format(EventTimeFormat),
		EventVersion: "1.0", Region: s.cfg.Region}
	b := &rec.Oss.Bucket
	b.Arn, b.Name, b.OwnerIdentity = "acs:oss:"+s.cfg.Region+":"+AccountID+":"+m.Bucket, m.Bucket, AccountID
	o := &rec.Oss.Object
	o.DeltaSize, o.ETag, o.Key, o.Size = m.Size, strings.Trim(m.ETag, `"`), m.Key, m.Size
	o.ObjectMeta.MimeType = m.ContentType
	rec.Oss.OssSchemaVersion, rec.Oss.RuleID = "1.0", "ossemu-local-trigger"
	rec.RequestParameters.SourceIPAddress = ip
	rec.ResponseElements.RequestID = reqID
	rec.UserIdentity.PrincipalID = AccountID
	out, err := json.Marshal(ossEvent{Events: []ossRecord{rec}})
	if err != nil {
		panic("ossemu: event: " + err.Error())
	}
	return out
}
