package fchttp_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"

	"github.com/ossbroker/ossbroker/pkg/fchttp"
)

// An HTTP trigger event, as FC hands it to the function, through an ordinary [http.Handler] to
// the response FC sends back to the caller. In a deployed function the handler goes to fc.Start:
//
//	fc.Start(fchttp.Handler(h))
func ExampleHandler() {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/echo", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintf(w, "%s %s?%s from %s: %s", r.Method, r.URL.Path, r.URL.RawQuery, r.RemoteAddr, body)
	})
	invoke := fchttp.Handler(mux, fchttp.WithLogger(slog.New(slog.DiscardHandler)))

	event := []byte(`{
		"version": "v1",
		"rawPath": "/v1/echo",
		"headers": {"Content-Type": "text/plain"},
		"queryParameters": {"lang": "en"},
		"body": "aGVsbG8=",
		"isBase64Encoded": true,
		"requestContext": {
			"accountId": "1234567890",
			"domainName": "example.cn-hangzhou.fcapp.run",
			"requestId": "1-6571c7a0-0a1b2c3d",
			"time": "2023-12-07T13:48:16Z",
			"timeEpoch": "1701956896000",
			"http": {"method": "POST", "path": "/v1/echo", "protocol": "HTTP/1.1", "sourceIp": "203.0.113.7"}
		}
	}`)
	res, err := invoke(context.Background(), event)
	if err != nil {
		panic(err)
	}
	fmt.Println(res.StatusCode, res.Headers["Content-Type"], res.IsBase64Encoded)
	fmt.Println(res.Body)

	// A malformed event is answered, never returned as an error (FC would show its own error page).
	res, err = invoke(context.Background(), []byte(`{"version":`))
	fmt.Println(res.StatusCode, err)
	// Output:
	// 200 text/plain; charset=utf-8 false
	// POST /v1/echo?lang=en from 203.0.113.7:0: hello
	// 400 <nil>
}
