module amk.local/fixtures-go

go 1.24

require amk.local/sdk-go v0.0.0

require github.com/extism/go-pdk v1.1.3 // indirect

replace amk.local/sdk-go => ../sdk-go
