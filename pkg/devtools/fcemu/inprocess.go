package fcemu

import (
	"context"
	"fmt"
	"reflect"
	"strconv"

	"github.com/aliyun/fc-runtime-go-sdk/fc"
	"github.com/aliyun/fc-runtime-go-sdk/fccontext"
)

// InProcess returns a Trigger.Invoke that runs handler in this process
// through the SDK's own handler wrapper (fc.NewHandler: the event JSON is
// decoded, the handler called, its result encoded, exactly as fc.Start does
// for each invocation), with the fccontext FC would build. What it leaves
// out is only the runtime API's transport: two loopback HTTP round trips per
// request that cost far more than the function itself and say nothing about
// its code. [RuntimeAPI] keeps that transport for tests of fc.Start.
func InProcess(handler any, tmpl Invocation) func(ctx context.Context, event []byte, requestID string) (Result, error) {
	h := fc.NewHandler(handler)
	if tmpl.Timeout <= 0 {
		tmpl.Timeout = DefaultTimeout
	}
	return func(ctx context.Context, event []byte, requestID string) (res Result, err error) {
		if requestID == "" {
			requestID = NewRequestID()
		}
		ctx, cancel := context.WithTimeout(ctx, tmpl.Timeout)
		defer cancel()
		lc := &fccontext.FcContext{RequestID: requestID, Region: tmpl.Region, AccountId: tmpl.AccountID}
		lc.Function.Name = tmpl.FunctionName
		lc.Function.Timeout = int(tmpl.Timeout.Seconds())
		if c := tmpl.Credentials; c != nil {
			lc.Credentials = fccontext.Credentials{AccessKeyId: c.AccessKeyID, AccessKeySecret: c.AccessKeySecret, SecurityToken: c.SecurityToken}
		}
		// The SDK recovers a panic and reports it to /error; so does this.
		defer func() {
			if p := recover(); p != nil {
				res, err = Result{Err: &FunctionError{Message: fmt.Sprint(p), Type: "panic"}}, nil
			}
		}()
		body, herr := h.Invoke(fccontext.NewContext(ctx, lc), event)
		if herr != nil {
			if ctx.Err() != nil {
				return Result{}, ctx.Err()
			}
			return Result{Err: &FunctionError{Message: herr.Error(), Type: errorType(herr)}}, nil
		}
		return Result{Body: body}, nil
	}
}

// errorType names an error's type as the SDK does in /error posts.
func errorType(err error) string {
	t := reflect.TypeOf(err)
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if n := t.Name(); n != "" {
		return n
	}
	return "error" + strconv.Itoa(int(t.Kind()))
}
