package api

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"
	"github.com/shophub/shophub/hub"
)

// Eraser erases a person from the hub and every touchpoint (sync.Handlers).
type Eraser interface {
	EraseCustomer(ctx context.Context, customerID uint64, req hub.EraseRequest) (*hub.PrivacyRequest, error)
}

// PrivacyView is an audit row as the API shows it: who asked, what went,
// and each touchpoint's outcome. It holds no personal data.
type PrivacyView struct {
	*hub.PrivacyRequest
	Removed map[string]int64  `json:"removed"`
	Steps   []hub.PrivacyStep `json:"touchpoints"`
	// StatusURL is where to follow the erasure's touchpoint steps.
	StatusURL string `json:"status_url"`
	// ExportURL serves a data request's export.
	ExportURL string `json:"export_url,omitempty"`
}

func (a *API) registerPrivacy(g gin.IRoutes) {
	g.DELETE("/customers/:id", a.eraseCustomer)
	g.POST("/customers/:id/export", a.exportCustomer)
	g.GET("/privacy/requests/:id", a.privacyRequest)
	g.GET("/privacy/requests/:id/export", a.privacyExport)
}

func idParam(c *gin.Context) (uint64, bool) {
	id, err := strconv.ParseUint(c.Param("id"), 10, 64)
	if err != nil {
		c.JSON(http.StatusBadRequest, gin.H{"error": "id must be a number"})
		return 0, false
	}
	return id, true
}

// eraseCustomer answers 202 once the hub holds nothing of the person; the
// touchpoints' deletions follow in the background (status_url).
func (a *API) eraseCustomer(c *gin.Context) {
	id, ok := idParam(c)
	if !ok {
		return
	}
	if a.Eraser == nil {
		c.JSON(http.StatusNotImplemented, gin.H{"error": "erasure is not available in this process"})
		return
	}
	source := "api"
	if reason := c.Query("reason"); reason != "" && len(reason) <= 40 {
		source = "api " + reason
	}
	r, err := a.Eraser.EraseCustomer(c.Request.Context(), id, hub.EraseRequest{Source: source})
	if errors.Is(err, hub.ErrNotFound) {
		c.JSON(http.StatusNotFound, gin.H{"error": "no customer " + c.Param("id")})
		return
	}
	if err != nil {
		c.JSON(http.StatusInternalServerError, gin.H{"error": err.Error()})
		return
	}
	a.writePrivacy(c, http.StatusAccepted, r.ID)
}

func (a *API) exportCustomer(c *gin.Context) {
	id, ok := idParam(c)
	if !ok {
		return
	}
	x, err := a.Store.Export(c.Request.Context(), id)
	if errors.Is(err, hub.ErrNotFound) {
		c.JSON(http.StatusNotFound, gin.H{"error": "no customer " + c.Param("id")})
		return
	}
	if err != nil {
		c.JSON(http.StatusInternalServerError, gin.H{"error": err.Error()})
		return
	}
	// The audit trail records that an export left the hub, not what it held.
	if err := a.Store.LogPrivacyRequest(c.Request.Context(), &hub.PrivacyRequest{Kind: hub.PrivacyExport, Source: "api", CustomerID: id}); err != nil {
		c.JSON(http.StatusInternalServerError, gin.H{"error": err.Error()})
		return
	}
	c.Header("Content-Disposition", `attachment; filename="customer-`+c.Param("id")+`.json"`)
	c.JSON(http.StatusOK, x)
}

func (a *API) privacyRequest(c *gin.Context) {
	id, ok := idParam(c)
	if !ok {
		return
	}
	a.writePrivacy(c, http.StatusOK, id)
}

func (a *API) writePrivacy(c *gin.Context, status int, id uint64) {
	r, steps, err := a.Store.PrivacyRequest(c.Request.Context(), id)
	if errors.Is(err, hub.ErrNotFound) {
		c.JSON(http.StatusNotFound, gin.H{"error": "no privacy request " + strconv.FormatUint(id, 10)})
		return
	}
	if err != nil {
		c.JSON(http.StatusInternalServerError, gin.H{"error": err.Error()})
		return
	}
	if steps == nil {
		steps = []hub.PrivacyStep{}
	}
	v := PrivacyView{PrivacyRequest: r, Removed: r.RemovedCounts(), Steps: steps,
		StatusURL: "/api/privacy/requests/" + strconv.FormatUint(r.ID, 10)}
	if r.Kind == hub.PrivacyExport && r.CustomerID != 0 {
		v.ExportURL = v.StatusURL + "/export"
	}
	c.JSON(status, v)
}

// privacyExport serves the export a vendor's data request asked for
// (Shopify customers/data_request), built now: the hub keeps no copy.
func (a *API) privacyExport(c *gin.Context) {
	id, ok := idParam(c)
	if !ok {
		return
	}
	r, _, err := a.Store.PrivacyRequest(c.Request.Context(), id)
	if errors.Is(err, hub.ErrNotFound) || (err == nil && (r.Kind != hub.PrivacyExport || r.CustomerID == 0)) {
		c.JSON(http.StatusNotFound, gin.H{"error": "no data request " + c.Param("id") + " naming a customer"})
		return
	}
	if err != nil {
		c.JSON(http.StatusInternalServerError, gin.H{"error": err.Error()})
		return
	}
	x, err := a.Store.Export(c.Request.Context(), r.CustomerID)
	if errors.Is(err, hub.ErrNotFound) {
		c.JSON(http.StatusGone, gin.H{"error": "the customer has been erased since; the hub holds nothing of them"})
		return
	}
	if err != nil {
		c.JSON(http.StatusInternalServerError, gin.H{"error": err.Error()})
		return
	}
	c.JSON(http.StatusOK, x)
}
