package console

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"
	"github.com/shophub/shophub/hub"
)

// auditRow is a privacy request with its touchpoint steps.
type auditRow struct {
	R       hub.PrivacyRequest
	Removed map[string]int64
	Steps   []hub.PrivacyStep
	Pending bool
}

func (c *Console) privacy(ctx *gin.Context) {
	rc := ctx.Request.Context()
	data := map[string]any{}
	if person := ctx.Query("person"); person != "" {
		data["Person"] = person
		hits, err := c.Store.SearchCustomers(rc, person, c.Region, 10)
		if err != nil {
			c.fail(ctx, http.StatusInternalServerError, err)
			return
		}
		data["Hits"] = hits
	}
	var reqs []hub.PrivacyRequest
	if err := c.Store.DB().WithContext(rc).Order("id desc").Limit(30).Find(&reqs).Error; err != nil {
		c.fail(ctx, http.StatusInternalServerError, err)
		return
	}
	data["Requests"] = reqs
	c.render(ctx, http.StatusOK, "privacy", data)
}

func (c *Console) privacyRequest(ctx *gin.Context) {
	id, ok := c.idParam(ctx, "request")
	if !ok {
		return
	}
	r, steps, err := c.Store.PrivacyRequest(ctx.Request.Context(), id)
	if !c.loaded(ctx, err, fmt.Sprintf("no privacy request %d", id)) {
		return
	}
	row := auditRow{R: *r, Removed: r.RemovedCounts(), Steps: steps}
	for _, s := range steps {
		row.Pending = row.Pending || s.Status == hub.PrivacyPending
	}
	row.Pending = row.Pending || r.Status == hub.PrivacyPending
	data := map[string]any{"A": row}
	if ctx.Query("part") == "audit" {
		c.fragment(ctx, "audit", "steps", data)
		return
	}
	c.render(ctx, http.StatusOK, "audit", data)
}

func (c *Console) export(ctx *gin.Context) {
	id, ok := c.idParam(ctx, "customer")
	if !ok {
		return
	}
	rc := ctx.Request.Context()
	x, err := c.Store.Export(rc, id)
	if !c.loaded(ctx, err, fmt.Sprintf("no customer %d", id)) {
		return
	}
	// The audit records that an export left the hub, not what it held.
	if err := c.Store.LogPrivacyRequest(rc, &hub.PrivacyRequest{Kind: hub.PrivacyExport, Source: "console", CustomerID: id}); err != nil {
		c.fail(ctx, http.StatusInternalServerError, err)
		return
	}
	b, err := json.MarshalIndent(x, "", "  ")
	if err != nil {
		c.fail(ctx, http.StatusInternalServerError, err)
		return
	}
	ctx.Header("Content-Disposition", `attachment; filename="customer-`+strconv.FormatUint(id, 10)+`.json"`)
	ctx.Data(http.StatusOK, "application/json", b)
}

func (c *Console) erase(ctx *gin.Context) {
	id, ok := c.idParam(ctx, "customer")
	if !ok {
		return
	}
	if c.Eraser == nil {
		c.fail(ctx, http.StatusNotImplemented, errors.New("erasure is not available in this process"))
		return
	}
	if ctx.PostForm("confirm") != strconv.FormatUint(id, 10) {
		c.fail(ctx, http.StatusBadRequest, errors.New("type the customer's hub id to confirm the erasure"))
		return
	}
	r, err := c.Eraser.EraseCustomer(ctx.Request.Context(), id, hub.EraseRequest{Source: "console"})
	if !c.loaded(ctx, err, fmt.Sprintf("no customer %d", id)) {
		return
	}
	c.Log.Info("console: customer erased", "customer_id", id, "privacy_request", r.ID)
	ctx.Redirect(http.StatusSeeOther, "/ui/privacy/"+strconv.FormatUint(r.ID, 10))
}
