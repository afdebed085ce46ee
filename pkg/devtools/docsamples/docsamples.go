// Package docsamples holds samples of the provider formats the project
// parses or emits, each copied byte for byte from the provider's own
// documentation or SDK, never written by hand. Tests feed them to the
// parsers and compare the local emulators' output with them. [Samples]
// names each file's source.
package docsamples

import (
	"embed"
	"fmt"
	"net/http"
	"strings"
)

//go:embed samples
var files embed.FS

// Sample is one file under samples/ and where it was copied from.
type Sample struct {
	File   string // name under samples/
	Format string // what it is an example of
	Source string // where it was copied from, verbatim
}

const (
	ossSDK = "github.com/aliyun/alibabacloud-oss-go-sdk-v2 v1.6.1 (module zip)"
	sdk    = "github.com/aliyun/fc-runtime-go-sdk v0.3.1 (module zip, go.sum h1:Qhd4W5DLxfhOcHeMzxAH/gxb65mvl4cYW81UPPaOoKU=)"
	fc3    = "github.com/devsapp/fc3 (the Serverless Devs fc3 component) at commit 4ca1c1b8c33e654438bb73b64cfc95a5c9d94f5a"
)

// Samples lists every file under samples/.
var Samples = []Sample{
	{File: "fc-oss-event.json", Format: "OSS trigger event (events.OssEvent)",
		Source: sdk + ", events/README_OSS.md, the JSON block under \"Event 格式\""},
	{File: "fc3-oss-event-template.json", Format: "OSS trigger event (events.OssEvent)",
		Source: fc3 + ", src/subCommands/trigger-template/event-template/oss.json"},
	{File: "fc3-http-event-template.json", Format: "FC3 HTTP trigger event (events.HTTPTriggerEvent)",
		Source: fc3 + ", src/subCommands/trigger-template/event-template/http.json"},
	{File: "fc-runtime-api-client-consts.go.txt", Format: "FC runtime API headers (x-fc-request-id etc.) and API version",
		Source: sdk + ", fc/runtime_api_client.go, its const block (lines 17-51)"},
	{File: "fc-http-trigger-response.go.txt", Format: "FC3 HTTP trigger response (events.HTTPTriggerResponse)",
		Source: sdk + ", events/README_HTTP_TRIGGER.md, the Go block under \"输出\""},
	{File: "oss-error-nosuchkey.xml", Format: "OSS XML error NoSuchKey (404)",
		Source: ossSDK + ", oss/client_mock_object_restore_test.go, the response body from line 320"},
	{File: "oss-error-signaturedoesnotmatch.xml", Format: "OSS XML error SignatureDoesNotMatch (403)",
		Source: ossSDK + ", oss/client_mock_misc_test.go, the response body from line 235"},
	{File: "oss-error-callbackfailed.xml", Format: "OSS XML error CallbackFailed (203, upload callback failed)",
		Source: ossSDK + ", oss/client_mock_object_basic_test.go, the response body from line 635"},
	{File: "oss-callback-request.http", Format: "OSS upload callback request (headers and body)",
		Source: "OSS documentation, 上传回调 (Callback), https://help.aliyun.com/zh/oss/developer-reference/callback, " +
			"服务端实现, the example POST request (values masked with * by OSS)"},
	{File: "oss-callback-signing-example.http", Format: "OSS upload callback request, the signing example",
		Source: "OSS documentation, Callback API page (https://help.aliyun.com/zh/oss/developer-reference/callback, " +
			"earlier revision, unmasked signature), 回调签名 example request, its markdown indentation removed"},
}

// HTTPRequest is a request as the providers' documents write one: a
// request line, "Name: value" lines, and the body (the first line that is
// not a header, or what follows a blank line).
type HTTPRequest struct {
	Method, Target string
	Header         http.Header // names as written, also reachable canonically through Get
	Names          []string    // header names in the order written
	Body           string
}

// ParseHTTP reads a sample .http file.
func ParseHTTP(b []byte) (HTTPRequest, error) {
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	var r HTTPRequest
	f := strings.Fields(lines[0])
	if len(f) != 3 {
		return r, fmt.Errorf("docsamples: request line %q", lines[0])
	}
	r.Method, r.Target, r.Header = f[0], f[1], http.Header{}
	i := 1
	for ; i < len(lines); i++ {
		name, value, ok := strings.Cut(lines[i], ": ")
		if lines[i] == "" {
			i++
			break
		}
		if !ok || strings.ContainsAny(name, " =&") {
			break
		}
		r.Header.Add(name, value)
		r.Names = append(r.Names, name)
	}
	r.Body = strings.Join(lines[i:], "\n")
	return r, nil
}

// Read returns the bytes of the sample file name; it panics on a name not
// in [Samples], a mistake in a test.
func Read(name string) []byte {
	for _, s := range Samples {
		if s.File == name {
			b, err := files.ReadFile("samples/" + name)
			if err != nil {
				panic(fmt.Sprintf("docsamples: %v", err))
			}
			return b
		}
	}
	panic("docsamples: no sample " + name)
}
