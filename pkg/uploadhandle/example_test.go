package uploadhandle_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/ossbroker/ossbroker/pkg/uploadhandle"
)

// A multipart upload's handle: sealed at initiate for the caller, opened on every later call.
func ExampleSealer() {
	key, err := uploadhandle.DeriveKey([]byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		panic(err)
	}
	s, err := uploadhandle.New(key)
	if err != nil {
		panic(err)
	}
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	h, err := s.Seal(uploadhandle.Claims{
		Bucket:      "examplebucket",
		Key:         "exampledir/video.mp4",
		UploadID:    "0004B9894A22E5B1888A1E29F823****",
		Subject:     "alice",
		ContentType: "video/mp4",
		Size:        64 << 20,
		PartSize:    8 << 20,
		Expires:     now.Add(24 * time.Hour),
	})
	if err != nil {
		panic(err)
	}

	c, err := s.Open(h, "alice", now.Add(time.Hour))
	fmt.Println(c.Key, c.UploadID, c.Size, c.PartSize, err)

	_, err = s.Open(h, "bob", now.Add(time.Hour))
	fmt.Println("another caller:", errors.Is(err, uploadhandle.ErrInvalid))

	_, err = s.Open(h, "alice", now.Add(25*time.Hour))
	fmt.Println("expired:", errors.Is(err, uploadhandle.ErrInvalid))

	altered := h[:len(h)-1] + "A"
	if altered == h {
		altered = h[:len(h)-1] + "B"
	}
	_, err = s.Open(altered, "alice", now.Add(time.Hour))
	fmt.Println("altered:", errors.Is(err, uploadhandle.ErrInvalid))
	// Output:
	// exampledir/video.mp4 0004B9894A22E5B1888A1E29F823**** 67108864 8388608 <nil>
	// another caller: true
	// expired: true
	// altered: true
}
