package emulator

import (
	"io"
	"net/http"
)

// Discard reads the answer to a webhook delivery to its end (up to 64 KB)
// and closes it, as a vendor's HTTP client does: net/http keeps a
// connection for the next delivery only when its body was read to the
// end, and one closed unread made every delivery dial anew.
func Discard(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	_ = resp.Body.Close()
}
