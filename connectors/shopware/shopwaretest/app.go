package shopwaretest

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// AppManifest is what the shop reads from an app's manifest.xml for the
// registration: <meta><name>, <setup><registrationUrl> and <setup><secret>.
type AppManifest struct {
	Name            string
	RegistrationURL string
	Secret          string
}

// InstallApp runs the shop's side of the app registration handshake as
// Shopware does when an app with a <setup> is installed
// (PrivateHandshake::assembleRequest, AppRegistrationService::registerApp):
//
//   - GET registrationUrl?shop-id=…&shop-url=…&timestamp=… with
//     shopware-app-signature = hex HMAC-SHA256(manifest secret, query);
//     the query is as Guzzle builds it (shop-url not percent-encoded);
//   - the answer's proof must equal hex HMAC-SHA256(manifest secret,
//     shopId + shopUrl + name), else the installation fails;
//   - the answer's secret becomes the app secret: webhooks are signed with
//     it from now on (Sign);
//   - the app's integration is created (its credentials work at
//     /api/oauth/token) and POSTed to confirmation_url as
//     {"apiKey","secretKey","timestamp","shopUrl","shopId"}, encoded as
//     PHP's json_encode does (slashes escaped), signed with
//     shopware-shop-signature under the new secret.
//
// An error reports why the shop would refuse the installation.
func (e *Emulator) InstallApp(ctx context.Context, m AppManifest) error {
	shopURL := e.shopURL()
	query := "shop-id=" + e.opts.ShopID + "&shop-url=" + shopURL + "&timestamp=" + strconv.FormatInt(time.Now().Unix(), 10)
	sep := "?"
	if strings.Contains(m.RegistrationURL, "?") {
		sep = "&"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, m.RegistrationURL+sep+query, nil)
	if err != nil {
		return err
	}
	e.appHeaders(req.Header)
	req.Header.Set("shopware-app-signature", hmacHex(m.Secret, []byte(query)))
	var answer struct {
		Proof           any    `json:"proof"`
		Secret          string `json:"secret"`
		ConfirmationURL string `json:"confirmation_url"`
		Error           any    `json:"error"`
	}
	if err := e.appCall(req, &answer); err != nil {
		return fmt.Errorf("app registration failed: %w", err)
	}
	if msg, ok := answer.Error.(string); ok {
		return fmt.Errorf("app registration failed: %s", msg)
	}
	proof, ok := answer.Proof.(string)
	if !ok {
		return fmt.Errorf("app registration failed: The app server provided no proof")
	}
	want := hmacHex(m.Secret, []byte(e.opts.ShopID+shopURL+m.Name))
	if !hmac.Equal([]byte(want), []byte(strings.TrimSpace(proof))) {
		return fmt.Errorf("app registration failed: The app server provided an invalid proof")
	}

	// saveAppSecret, then the integration and the confirmation.
	apiKey, secretKey := "SWIA"+strings.ToUpper(NewID()[:22]), NewID()+NewID()[:23]
	e.mu.Lock()
	e.appSecret = answer.Secret
	e.integrations[apiKey] = secretKey
	e.mu.Unlock()

	body, err := phpJSON(struct {
		APIKey    string `json:"apiKey"`
		SecretKey string `json:"secretKey"`
		Timestamp string `json:"timestamp"`
		ShopURL   string `json:"shopUrl"`
		ShopID    string `json:"shopId"`
	}{apiKey, secretKey, strconv.FormatInt(time.Now().Unix(), 10), shopURL, e.opts.ShopID})
	if err != nil {
		return err
	}
	req, err = http.NewRequestWithContext(ctx, http.MethodPost, answer.ConfirmationURL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("app registration failed: confirmation_url %q: %w", answer.ConfirmationURL, err)
	}
	e.appHeaders(req.Header)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("shopware-shop-signature", hmacHex(answer.Secret, body))
	if err := e.appCall(req, nil); err != nil {
		return fmt.Errorf("app registration failed: confirmation: %w", err)
	}
	return nil
}

// AppCredentials returns the integration credentials InstallApp created
// last ("" before).
func (e *Emulator) AppCredentials() (apiKey, secretKey string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for k, v := range e.integrations {
		apiKey, secretKey = k, v
	}
	return apiKey, secretKey
}

// shopURL is the shop's APP_URL: the emulator's base URL.
func (e *Emulator) shopURL() string {
	if u := e.URL(); u != "" {
		return u
	}
	return "http://shopware.test"
}

func (e *Emulator) appHeaders(h http.Header) {
	h.Set("sw-version", e.opts.Version)
	h.Set("sw-context-language", SystemLanguageID)
	h.Set("sw-user-language", "en-GB")
}

// appCall sends an app request; like Guzzle, any status of 400 or more is
// an error, carrying the answer's "error" string when it has one.
func (e *Emulator) appCall(req *http.Request, out any) error {
	resp, err := e.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode >= 400 {
		var e struct {
			Error string `json:"error"`
		}
		if json.Unmarshal(b, &e) == nil && e.Error != "" {
			return fmt.Errorf("%d: %s", resp.StatusCode, e.Error)
		}
		return fmt.Errorf("%d: %s", resp.StatusCode, b)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("JSON response could not be decoded: %w", err)
	}
	return nil
}

func hmacHex(secret string, msg []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(msg)
	return hex.EncodeToString(mac.Sum(nil))
}

// phpJSON encodes v as PHP's json_encode without flags does: slashes
// escaped (Go escapes <, > and & instead, which the values here lack).
func phpJSON(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return bytes.ReplaceAll(b, []byte("/"), []byte(`\/`)), nil
}
