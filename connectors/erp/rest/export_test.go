package rest_test

import "github.com/shophub/shophub/connectors/erp/rest"

func rest_ParseProfile(src string) (*rest.Profile, error) { return rest.ParseProfile([]byte(src)) }
