package jobs

import (
	"context"
	"fmt"
	"io"
)

func openURL(ctx context.Context, url string) (io.ReadCloser, error) {
	return nil, fmt.Errorf("object storage URLs are not supported yet")
}

func writeURL(ctx context.Context, url string, data []byte) error {
	return fmt.Errorf("object storage URLs are not supported yet")
}

func listURL(ctx context.Context, url string) ([]string, error) {
	return nil, fmt.Errorf("object storage URLs are not supported yet")
}

func isProfileURL(ctx context.Context, url string) (bool, error) {
	return false, nil
}
