// Package fcevent reads and writes the JSON of FC3's HTTP trigger, the
// event a function receives and the response it returns, without
// reflection: encoding/json's reflective decode of an events.HTTPTriggerEvent
// costs some 15 µs and over fifty allocations per request, the largest part
// of the broker's hot path.
//
// The results are those of encoding/json, by construction and checked by
// differential tests and fuzzing. The decoders take a fast path only for
// well-formed documents of the expected shape, with the keys spelled
// exactly, once each, and no nulls; anything else is handed to
// [json.Unmarshal], which is then the sole source of both the value and the
// error. [AppendEvent] (for the local trigger) mirrors [json.Marshal] byte for
// byte, HTML escaping included. There is no response encoder: the SDK
// encodes a handler's result itself (see fchttp.Handler).
package fcevent

import (
	"encoding/json"
	"strconv"
	"unsafe"

	"github.com/aliyun/fc-runtime-go-sdk/events"
)

// DecodeEvent sets *ev to the event in data: the same value, and an error
// exactly when, json.Unmarshal(data, &fresh) would give for a fresh zero
// events.HTTPTriggerEvent. *ev is overwritten entirely.
//
// The decoded strings that have no escapes share one copy of data, which
// stays in memory while any of them does.
func DecodeEvent(data []byte, ev *events.HTTPTriggerEvent) error {
	var fresh events.HTTPTriggerEvent
	if decodeEvent(string(data), &fresh) {
		*ev = fresh
		return nil
	}
	*ev = events.HTTPTriggerEvent{}
	return json.Unmarshal(data, ev)
}

// DecodeEventOwned is [DecodeEvent] for a buffer the caller gives up: the
// decoded strings share data's memory instead of a copy of it, so data must
// never be written to again. fchttp decodes the SDK's payload with it,
// which the SDK allocates per invocation and never touches after handing it
// over: for the largest request FC takes (32 MB of body, a 43 MB event in
// base64) that is a 43 MB copy fewer before the request is even routed
// (README, Performance: peak memory).
func DecodeEventOwned(data []byte, ev *events.HTTPTriggerEvent) error {
	var fresh events.HTTPTriggerEvent
	if decodeEvent(unsafe.String(unsafe.SliceData(data), len(data)), &fresh) {
		*ev = fresh
		return nil
	}
	*ev = events.HTTPTriggerEvent{}
	return json.Unmarshal(data, ev)
}

// DecodeResponse sets *r to the response in data: the same value, and an
// error exactly when, json.Unmarshal(data, &fresh) would give for a fresh
// zero events.HTTPTriggerResponse. *r is overwritten entirely.
func DecodeResponse(data []byte, r *events.HTTPTriggerResponse) error {
	var fresh events.HTTPTriggerResponse
	if decodeResponse(string(data), &fresh) {
		*r = fresh
		return nil
	}
	*r = events.HTTPTriggerResponse{}
	return json.Unmarshal(data, r)
}

// AppendEvent appends the bytes json.Marshal(ev) gives.
func AppendEvent(dst []byte, ev *events.HTTPTriggerEvent) []byte {
	if ev == nil {
		return append(dst, "null"...)
	}
	dst = append(dst, `{"version":`...)
	dst = appendStringPtr(dst, ev.Version)
	dst = append(dst, `,"rawPath":`...)
	dst = appendStringPtr(dst, ev.RawPath)
	dst = append(dst, `,"body":`...)
	dst = appendStringPtr(dst, ev.Body)
	dst = append(dst, `,"isBase64Encoded":`...)
	if ev.IsBase64Encoded == nil {
		dst = append(dst, "null"...)
	} else {
		dst = strconv.AppendBool(dst, *ev.IsBase64Encoded)
	}
	dst = append(dst, `,"headers":`...)
	dst = appendMapPtr(dst, ev.Headers)
	dst = append(dst, `,"queryParameters":`...)
	dst = appendMapPtr(dst, ev.QueryParameters)

	c := &ev.TriggerContext
	dst = append(dst, `,"requestContext":{"accountId":`...)
	dst = appendStringPtr(dst, c.AccountId)
	dst = append(dst, `,"domainName":`...)
	dst = appendStringPtr(dst, c.DomainName)
	dst = append(dst, `,"domainPrefix":`...)
	dst = appendStringPtr(dst, c.DomainPrefix)
	dst = append(dst, `,"http":{"method":`...)
	dst = appendStringPtr(dst, c.Http.Method)
	dst = append(dst, `,"path":`...)
	dst = appendStringPtr(dst, c.Http.Path)
	dst = append(dst, `,"protocol":`...)
	dst = appendStringPtr(dst, c.Http.Protocol)
	dst = append(dst, `,"sourceIp":`...)
	dst = appendStringPtr(dst, c.Http.SourceIp)
	dst = append(dst, `,"userAgent":`...)
	dst = appendStringPtr(dst, c.Http.UserAgent)
	dst = append(dst, `},"requestId":`...)
	dst = appendStringPtr(dst, c.RequestId)
	dst = append(dst, `,"time":`...)
	dst = appendStringPtr(dst, c.Time)
	dst = append(dst, `,"timeEpoch":`...)
	dst = appendStringPtr(dst, c.TimeEpoch)
	return append(dst, "}}"...)
}
