package api

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/shophub/shophub/sync"
)

// Dead letters are tasks asynq archived after their last retry, or at once
// for a permanent vendor error; their last error carries the vendor's
// status and body.

func (a *API) listDeadLetters(c *gin.Context) {
	if !a.hasDeadLetters(c) {
		return
	}
	dls, err := a.DeadLetters.List(c.Query("connector"))
	if err != nil {
		c.JSON(http.StatusInternalServerError, gin.H{"error": err.Error()})
		return
	}
	c.JSON(http.StatusOK, gin.H{"dead_letters": dls})
}

func (a *API) replayDeadLetter(c *gin.Context) {
	if !a.hasDeadLetters(c) {
		return
	}
	err := a.DeadLetters.Replay(c.Param("id"))
	if errors.Is(err, sync.ErrNoDeadLetter) {
		c.JSON(http.StatusNotFound, gin.H{"error": err.Error()})
		return
	}
	if err != nil {
		c.JSON(http.StatusInternalServerError, gin.H{"error": err.Error()})
		return
	}
	c.JSON(http.StatusAccepted, gin.H{"replayed": 1})
}

func (a *API) replayDeadLetters(c *gin.Context) {
	if !a.hasDeadLetters(c) {
		return
	}
	conn := c.Query("connector")
	if conn == "" && c.Query("all") != "true" {
		c.JSON(http.StatusBadRequest, gin.H{"error": "say ?connector=<instance> (or ?all=true to replay every dead letter)"})
		return
	}
	n, err := a.DeadLetters.ReplayConnector(conn)
	if err != nil {
		c.JSON(http.StatusInternalServerError, gin.H{"replayed": n, "error": err.Error()})
		return
	}
	c.JSON(http.StatusAccepted, gin.H{"replayed": n})
}

func (a *API) hasDeadLetters(c *gin.Context) bool {
	if a.DeadLetters == nil {
		c.JSON(http.StatusNotImplemented, gin.H{"error": "dead letters are not available in this process"})
		return false
	}
	return true
}
