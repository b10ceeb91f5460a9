package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/shophub/shophub/hub"
)

// segments answers GET /api/segments: customers with orders per segment
// and profitability class, and the totals of each.
func (a *API) segments(c *gin.Context) {
	counts, err := a.Store.SegmentCounts(c.Request.Context())
	if err != nil {
		c.JSON(http.StatusInternalServerError, gin.H{"error": err.Error()})
		return
	}
	bySeg, byClass := map[string]int64{}, map[string]int64{}
	var total int64
	for _, n := range counts {
		bySeg[n.Segment] += n.Customers
		byClass[n.Profitability] += n.Customers
		total += n.Customers
	}
	if counts == nil {
		counts = []hub.SegmentCount{}
	}
	c.JSON(http.StatusOK, gin.H{"customers": total, "segments": bySeg, "profitability": byClass, "counts": counts})
}

// listByInsights answers GET /api/customers?segment=&profitability=&due_before=YYYY-MM-DD
// with paging by after (customer id) or page (1-based) and limit.
func (a *API) listByInsights(c *gin.Context) {
	f := hub.InsightFilter{Segment: c.Query("segment"), Profitability: c.Query("profitability")}
	if s := c.Query("due_before"); s != "" {
		d, err := time.Parse("2006-01-02", s)
		if err != nil {
			c.JSON(http.StatusBadRequest, gin.H{"error": "due_before must be a date (YYYY-MM-DD)"})
			return
		}
		f.DueBefore = &d
	}
	f.Limit, _ = strconv.Atoi(c.DefaultQuery("limit", "50"))
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 50
	}
	f.After, _ = strconv.ParseUint(c.DefaultQuery("after", "0"), 10, 64)
	page, _ := strconv.Atoi(c.DefaultQuery("page", "1"))
	if page > 1 {
		f.Offset = (page - 1) * f.Limit
	}
	rows, err := a.Store.FindInsights(c.Request.Context(), f)
	if err != nil {
		c.JSON(http.StatusInternalServerError, gin.H{"error": err.Error()})
		return
	}
	out := gin.H{"customers": rows, "page": max(page, 1), "limit": f.Limit}
	if len(rows) == f.Limit {
		out["next_after"] = rows[len(rows)-1].ID
	}
	c.JSON(http.StatusOK, out)
}
