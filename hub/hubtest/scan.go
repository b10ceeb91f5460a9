package hubtest

import (
	"fmt"
	"strings"
	"testing"

	"gorm.io/gorm"
)

// FindText searches every text and binary column of every table of the
// store's database for needle (case-insensitive) and returns the
// "table.column" places holding it. On MySQL/MariaDB the columns come from
// information_schema.columns, so tables added later are searched too; on
// SQLite from sqlite_master and table_info.
func FindText(t testing.TB, db *gorm.DB, driver, needle string) []string {
	t.Helper()
	type col struct{ table, column string }
	var cols []col
	switch driver {
	case "mysql":
		rows, err := db.Raw(`SELECT table_name, column_name FROM information_schema.columns
			WHERE table_schema = DATABASE() AND data_type IN ('char','varchar','tinytext','text','mediumtext','longtext',
			'binary','varbinary','tinyblob','blob','mediumblob','longblob','json','enum','set')
			ORDER BY table_name, ordinal_position`).Rows()
		if err != nil {
			t.Fatalf("list columns: %v", err)
		}
		for rows.Next() {
			var c col
			if err := rows.Scan(&c.table, &c.column); err != nil {
				t.Fatal(err)
			}
			cols = append(cols, c)
		}
		_ = rows.Close()
	case "sqlite":
		var tables []string
		if err := db.Raw(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`).Scan(&tables).Error; err != nil {
			t.Fatalf("list tables: %v", err)
		}
		for _, tb := range tables {
			var info []struct {
				Name string
				Type string
			}
			if err := db.Raw(fmt.Sprintf("SELECT name, type FROM pragma_table_info('%s')", tb)).Scan(&info).Error; err != nil {
				t.Fatalf("columns of %s: %v", tb, err)
			}
			for _, c := range info {
				ty := strings.ToLower(c.Type)
				if ty == "" || strings.Contains(ty, "char") || strings.Contains(ty, "text") || strings.Contains(ty, "blob") || strings.Contains(ty, "clob") {
					cols = append(cols, col{tb, c.Name})
				}
			}
		}
	default:
		t.Fatalf("driver %q", driver)
	}
	if len(cols) == 0 {
		t.Fatal("no text columns found: the scan would prove nothing")
	}
	pattern := "%" + strings.ToLower(needle) + "%"
	var hits []string
	for _, c := range cols {
		var q string
		if driver == "mysql" {
			q = fmt.Sprintf("SELECT COUNT(*) FROM `%s` WHERE LOWER(CONVERT(`%s` USING utf8mb4)) LIKE ?", c.table, c.column)
		} else {
			q = fmt.Sprintf(`SELECT COUNT(*) FROM "%s" WHERE lower(CAST("%s" AS TEXT)) LIKE ?`, c.table, c.column)
		}
		var n int64
		if err := db.Raw(q, pattern).Scan(&n).Error; err != nil {
			t.Fatalf("search %s.%s: %v", c.table, c.column, err)
		}
		if n > 0 {
			hits = append(hits, c.table+"."+c.column)
		}
	}
	return hits
}
