package ossemu

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Policy is a RAM policy document in the OSS docs' format (OSS documentation: RAM policy):
// Version "1", statements with Effect, Action and Resource.
type Policy struct {
	Version   string
	Statement []Statement
}

// Statement is one policy statement. Action and Resource are lists here;
// the JSON may give either a string or a list.
type Statement struct {
	Effect   string // "Allow" or "Deny"
	Action   []string
	Resource []string
	// Condition is kept raw; the emulator does not evaluate conditions and
	// errs on the side of refusal: an Allow with a Condition never applies,
	// a Deny with a Condition always applies.
	Condition json.RawMessage `json:",omitempty"`
}

// decision is the outcome of evaluating a policy.
type decision int

const (
	implicitDeny decision = iota
	allowed
	explicitDeny
)

// ParsePolicy parses and validates a policy document. NotAction,
// NotResource and Principal are refused rather than silently ignored.
func ParsePolicy(doc []byte) (*Policy, error) {
	var raw struct {
		Version   string
		Statement []map[string]json.RawMessage
	}
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("ossemu: policy: %w", err)
	}
	if raw.Version != "1" {
		return nil, fmt.Errorf("ossemu: policy: Version must be \"1\", got %q", raw.Version)
	}
	if len(raw.Statement) == 0 {
		return nil, errors.New("ossemu: policy: no Statement")
	}
	p := &Policy{Version: raw.Version}
	for i, m := range raw.Statement {
		var st Statement
		for k, v := range m {
			var err error
			switch k {
			case "Effect":
				err = json.Unmarshal(v, &st.Effect)
			case "Action":
				st.Action, err = stringOrList(v)
			case "Resource":
				st.Resource, err = stringOrList(v)
			case "Condition":
				st.Condition = v
			default:
				err = fmt.Errorf("unsupported element %q", k)
			}
			if err != nil {
				return nil, fmt.Errorf("ossemu: policy: Statement[%d]: %v", i, err)
			}
		}
		if st.Effect != "Allow" && st.Effect != "Deny" {
			return nil, fmt.Errorf("ossemu: policy: Statement[%d]: Effect must be Allow or Deny, got %q", i, st.Effect)
		}
		if len(st.Action) == 0 || len(st.Resource) == 0 {
			return nil, fmt.Errorf("ossemu: policy: Statement[%d]: Action and Resource are required", i)
		}
		p.Statement = append(p.Statement, st)
	}
	return p, nil
}

func stringOrList(v json.RawMessage) ([]string, error) {
	var s string
	if err := json.Unmarshal(v, &s); err == nil {
		return []string{s}, nil
	}
	var l []string
	if err := json.Unmarshal(v, &l); err != nil {
		return nil, errors.New("want a string or a list of strings")
	}
	if len(l) == 0 {
		return nil, errors.New("empty list")
	}
	return l, nil
}

// PutPolicy is the OSS docs' policy allowing uploads under prefix in
// bucket, any region and account.
func PutPolicy(bucket, prefix string) *Policy {
	return &Policy{Version: "1", Statement: []Statement{{
		Effect:   "Allow",
		Action:   []string{"oss:PutObject"},
		Resource: []string{"acs:oss:*:*:" + bucket + "/" + prefix + "*"},
	}}}
}

// MarshalJSON writes the docs' format: single actions and resources as a
// plain string.
func (p *Policy) MarshalJSON() ([]byte, error) {
	type stmt struct {
		Effect    string
		Action    any
		Resource  any
		Condition json.RawMessage `json:",omitempty"`
	}
	one := func(l []string) any {
		if len(l) == 1 {
			return l[0]
		}
		return l
	}
	out := struct {
		Version   string
		Statement []stmt
	}{Version: p.Version}
	for _, s := range p.Statement {
		out.Statement = append(out.Statement, stmt{s.Effect, one(s.Action), one(s.Resource), s.Condition})
	}
	return json.Marshal(out)
}

// String is the JSON document.
func (p *Policy) String() string {
	b, _ := p.MarshalJSON()
	return string(b)
}

// Allows reports whether the policy grants action (e.g. "oss:PutObject",
// case-insensitive) on resource (an ARN, case-sensitive). An explicit Deny
// wins over any Allow; no match is an implicit deny.
func (p *Policy) Allows(action, resource string) bool {
	return p.evaluate(action, resource) == allowed
}

func (p *Policy) evaluate(action, resource string) decision {
	if p == nil {
		return implicitDeny
	}
	action = strings.ToLower(action)
	result := implicitDeny
	for _, st := range p.Statement {
		if !st.matches(action, resource) {
			continue
		}
		if st.Effect == "Deny" {
			return explicitDeny
		}
		if len(st.Condition) == 0 {
			result = allowed
		}
	}
	return result
}

func (st *Statement) matches(lowerAction, resource string) bool {
	am := false
	for _, a := range st.Action {
		if glob(strings.ToLower(a), lowerAction) {
			am = true
			break
		}
	}
	if !am {
		return false
	}
	for _, r := range st.Resource {
		if glob(r, resource) {
			return true
		}
	}
	return false
}

// glob matches s against pattern where '*' stands for any run of bytes
// (including '/'). Greedy with single backtrack point: linear in practice.
func glob(pattern, s string) bool {
	px, sx := 0, 0
	star, mark := -1, 0
	for sx < len(s) {
		switch {
		case px < len(pattern) && pattern[px] == '*':
			star, mark = px, sx
			px++
		case px < len(pattern) && pattern[px] == s[sx]:
			px++
			sx++
		case star >= 0:
			px = star + 1
			mark++
			sx = mark
		default:
			return false
		}
	}
	for px < len(pattern) && pattern[px] == '*' {
		px++
	}
	return px == len(pattern)
}

// objectARN and bucketARN name resources as RAM does.
func (s *Server) objectARN(bucket, key string) string {
	return "acs:oss:" + s.cfg.Region + ":" + accountID + ":" + bucket + "/" + key
}

func (s *Server) bucketARN(bucket string) string {
	return "acs:oss:" + s.cfg.Region + ":" + accountID + ":" + bucket
}

// accountID is the emulated account that owns every bucket.
const accountID = "1000000000000000"
