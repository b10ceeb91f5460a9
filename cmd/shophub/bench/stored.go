package bench

import (
	"context"

	"gorm.io/gorm"
)

// storedBytes is what the hub holds per customer after a run, by column:
// the bytes of the stored forms a merge writes (the customer's doc and
// provenance, each link's baseline and last push, the change log's
// values), summed over all rows and divided by the customers. The
// figure is the columns' content (LENGTH), not InnoDB's pages.
func storedBytes(ctx context.Context, db *gorm.DB, customers int) (map[string]float64, error) {
	var row struct {
		Data, Provenance, Baseline, Pushed, ChangeOld, ChangeNew float64
	}
	q := `SELECT
	  (SELECT COALESCE(SUM(LENGTH(data)), 0) FROM customers) AS data,
	  (SELECT COALESCE(SUM(LENGTH(provenance)), 0) FROM customers) AS provenance,
	  (SELECT COALESCE(SUM(LENGTH(last_inbound_doc)), 0) FROM links) AS baseline,
	  (SELECT COALESCE(SUM(LENGTH(last_pushed_doc)), 0) FROM links) AS pushed,
	  (SELECT COALESCE(SUM(LENGTH(old_value)), 0) FROM change_log) AS change_old,
	  (SELECT COALESCE(SUM(LENGTH(new_value)), 0) FROM change_log) AS change_new`
	if err := db.WithContext(ctx).Raw(q).Scan(&row).Error; err != nil {
		return nil, err
	}
	n := float64(max(customers, 1))
	out := map[string]float64{"customers.data": row.Data / n, "customers.provenance": row.Provenance / n,
		"links.last_inbound_doc": row.Baseline / n, "links.last_pushed_doc": row.Pushed / n,
		"change_log.old_value": row.ChangeOld / n, "change_log.new_value": row.ChangeNew / n}
	out["total"] = (row.Data + row.Provenance + row.Baseline + row.Pushed + row.ChangeOld + row.ChangeNew) / n
	return out, nil
}
