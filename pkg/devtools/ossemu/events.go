package ossemu

import (
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/aliyun/fc-runtime-go-sdk/events"
)

// EventTrigger is a local OSS trigger: after a write whose event name
// matches Events and whose key has Prefix and Suffix, the server hands the
// OSS event JSON, in FC's events.OssEvent shape (one record), to Deliver.
// OSS sends events asynchronously and independently of the write's answer
// (and of its callback): Deliver must not block; fcemu.Async.Submit is
// the intended one, which invokes the function named by the trigger and
// retries failures as FC does.
type EventTrigger struct {
	// Events are OSS event names such as oss:ObjectCreated:PutObject;
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
// every matching trigger.
func (s *Server) emit(r *http.Request, m *objMeta, reqID, op string) {
	if len(s.cfg.Triggers) == 0 {
		return
	}
	name := "oss:ObjectCreated:" + op
	var body []byte
	for i := range s.cfg.Triggers {
		t := &s.cfg.Triggers[i]
		if !t.matches(name, m.Key) {
			continue
		}
		if body == nil {
			body = s.eventJSON(r, m, reqID, name)
		}
		t.Deliver(body)
	}
}

func (s *Server) eventJSON(r *http.Request, m *objMeta, reqID, name string) []byte {
	ip := r.RemoteAddr
	if h, _, err := net.SplitHostPort(ip); err == nil {
		ip = h
	}
	str := func(v string) *string { return &v }
	size := int(m.Size)
	now := s.now().UTC().Truncate(time.Millisecond)
	ev := events.OssEvent{Events: []*events.OssEventRecord{{
		EventName:    str(name),
		EventSource:  str("acs:oss"),
		EventTime:    &now,
		EventVersion: str("1.0"),
		Oss: &events.Oss{
			Bucket: &events.Bucket{
				Arn:           str("acs:oss:" + s.cfg.Region + ":" + AccountID + ":" + m.Bucket),
				Name:          str(m.Bucket),
				OwnerIdentity: str(AccountID),
			},
			Object: &events.Object{
				DeltaSize:  &size,
				ETag:       str(strings.Trim(m.ETag, `"`)),
				Key:        str(m.Key),
				ObjectMeta: &events.ObjectMeta{MimeType: str(m.ContentType)},
				Size:       &size,
			},
			OssSchemaVersion: str("1.0"),
			RuleID:           str("ossemu-local-trigger"),
		},
		Region:            str(s.cfg.Region),
		RequestParameters: &events.RequestParameters{SourceIPAddress: str(ip)},
		ResponseElements:  &events.ResponseElements{RequestID: str(reqID)},
		UserIdentity:      &events.UserIdentity{PrincipalID: str(AccountID)},
	}}}
	b, err := json.Marshal(ev)
	if err != nil {
		panic("ossemu: event: " + err.Error())
	}
	return b
}
