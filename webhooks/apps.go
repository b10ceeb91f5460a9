package webhooks

import (
	"errors"
	"io"
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/shophub/shophub/connectors"
	"github.com/shophub/shophub/internal/logx"
	"github.com/shophub/shophub/sync"
)

// App registration: a vendor that installs shophub as an app (Shopware)
// registers at GET /apps/<instance>/register and confirms at the URL the
// answer names, POST /apps/<instance>/confirm. The connector checks the
// signatures and keeps the per-shop secret and credentials in the hub.

func (r *Receiver) registerApps(g gin.IRoutes) {
	g.GET("/apps/:instance/register", r.appRegister)
	g.POST("/apps/:instance/confirm", r.appConfirm)
}

// registrar finds the instance's AppRegistrar or answers 404.
func (r *Receiver) registrar(c *gin.Context) (*sync.Touchpoint, connectors.AppRegistrar, bool) {
	name := c.Param("instance")
	tp, ok := r.Points.Get(name)
	if !ok {
		c.JSON(http.StatusNotFound, gin.H{"error": "no connector instance named " + name})
		return nil, nil, false
	}
	reg, ok := tp.Conn.(connectors.AppRegistrar)
	if !ok {
		c.JSON(http.StatusNotFound, gin.H{"error": name + " does not register as an app"})
		return nil, nil, false
	}
	return tp, reg, true
}

func (r *Receiver) appRegister(c *gin.Context) {
	tp, reg, ok := r.registrar(c)
	if !ok {
		return
	}
	log := logx.Logger(c.Request.Context(), r.Log).With("connector", tp.Name, "remote", c.ClientIP())
	answer, err := reg.Register(c.Request.Context(), c.Request.Header, c.Request.URL.RawQuery, r.publicURL(c)+"/apps/"+tp.Name+"/confirm")
	if err != nil {
		r.appError(c, log, "app registration refused", err)
		return
	}
	c.Data(http.StatusOK, "application/json", answer)
}

func (r *Receiver) appConfirm(c *gin.Context) {
	tp, reg, ok := r.registrar(c)
	if !ok {
		return
	}
	log := logx.Logger(c.Request.Context(), r.Log).With("connector", tp.Name, "remote", c.ClientIP())
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, r.MaxBody))
	if err != nil {
		c.JSON(http.StatusBadRequest, gin.H{"error": "reading body: " + err.Error()})
		return
	}
	if err := reg.ConfirmRegistration(c.Request.Context(), c.Request.Header, body); err != nil {
		r.appError(c, log, "app confirmation refused", err)
		return
	}
	// The instance may be down for want of these credentials.
	tp.RetryNow()
	c.Status(http.StatusNoContent)
}

// appError answers like a webhook rejection; Shopware shows an "error"
// string of the answer to the merchant.
func (r *Receiver) appError(c *gin.Context, log interface{ Warn(string, ...any) }, msg string, err error) {
	log.Warn(msg, "err", err)
	switch {
	case errors.Is(err, connectors.ErrBadSignature):
		c.JSON(http.StatusUnauthorized, gin.H{"error": "signature does not verify"})
	case errors.Is(err, connectors.ErrMalformed):
		c.JSON(http.StatusBadRequest, gin.H{"error": err.Error()})
	default:
		c.JSON(http.StatusInternalServerError, gin.H{"error": "registration failed; see shophub's log"})
	}
}

// publicURL is how the caller reached shophub: scheme and host of the
// request, or those X-Forwarded-Proto and X-Forwarded-Host report when the
// request comes from a trusted proxy (server.trusted_proxies). Anyone else
// could name any host there, and the registration answer would send the
// shop's API credentials to it.
func (r *Receiver) publicURL(c *gin.Context) string {
	return r.TrustedProxies.Scheme(c) + "://" + r.TrustedProxies.Host(c)
}
