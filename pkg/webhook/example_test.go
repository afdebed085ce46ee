package webhook_test

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/ossbroker/ossbroker/pkg/webhook"
)

// A Standard Webhooks delivery, signed as a sender signs it and verified as the broker verifies it.
// The secret, id, timestamp and body are the Standard Webhooks libraries' published test vector.
func ExampleSource_Verify() {
	src, err := webhook.NewSource("svix", webhook.Standard, "WEBHOOK_SECRET_1", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	if err != nil {
		panic(err)
	}
	id, ts, body := "msg_p5jXN8AQM9LWM0D4loKWxJek", int64(1614265330), []byte(`{"test": 2432232314}`)

	sig, err := src.Sign(id, ts, body)
	if err != nil {
		panic(err)
	}
	fmt.Println("webhook-signature:", sig)

	h := http.Header{}
	h.Set("webhook-id", id)
	h.Set("webhook-timestamp", fmt.Sprint(ts))
	h.Set("webhook-signature", sig)
	received := time.Unix(ts, 0).Add(30 * time.Second)

	ev, err := src.Verify(h, body, received, 5*time.Minute)
	if err != nil {
		panic(err)
	}
	fmt.Println("event:", ev.ID, ev.Timestamp.UTC().Format(time.RFC3339), ev.ContentType)
	fmt.Println("stored as:", webhook.Key("exampledir/", src.Name(), ev))

	_, err = src.Verify(h, []byte(`{"test": 1}`), received, 5*time.Minute)
	fmt.Println("other body:", errors.Is(err, webhook.ErrBadSignature))

	_, err = src.Verify(h, body, received.Add(time.Hour), 5*time.Minute)
	fmt.Println("an hour late:", errors.Is(err, webhook.ErrStale))
	// Output:
	// webhook-signature: v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=
	// event: msg_p5jXN8AQM9LWM0D4loKWxJek 2021-02-25T15:02:10Z application/json
	// stored as: exampledir/webhooks/svix/msg_p5jXN8AQM9LWM0D4loKWxJek.json
	// other body: true
	// an hour late: true
}
