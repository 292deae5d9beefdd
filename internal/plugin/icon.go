package plugin

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"math"
)

// iconPNG draws the listing icon at size×size pixels: a check mark on a
// rounded square, generated here so the bundle needs no committed binary
// and no download.
func iconPNG(size int) ([]byte, error) {
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	bg := color.NRGBA{R: 0x25, G: 0x63, B: 0xeb, A: 0xff}
	fg := color.NRGBA{R: 0xff, G: 0xff, B: 0xff, A: 0xff}
	radius := size / 5
	stroke := float64(size) / 12
	// The check mark: two segments, in units of the icon's size.
	s := float64(size)
	segments := [][4]float64{{0.27 * s, 0.52 * s, 0.44 * s, 0.69 * s}, {0.44 * s, 0.69 * s, 0.75 * s, 0.34 * s}}
	for y := range size {
		for x := range size {
			if !insideRounded(x, y, size, radius) {
				continue
			}
			c := bg
			for _, seg := range segments {
				if distToSegment(float64(x)+0.5, float64(y)+0.5, seg) <= stroke/2 {
					c = fg
				}
			}
			img.SetNRGBA(x, y, c)
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// insideRounded reports whether pixel (x, y) is inside a size×size square
// with corners of radius r.
func insideRounded(x, y, size, r int) bool {
	cx, cy := x, y
	switch {
	case x < r:
		cx = r
	case x >= size-r:
		cx = size - r - 1
	}
	switch {
	case y < r:
		cy = r
	case y >= size-r:
		cy = size - r - 1
	}
	dx, dy := x-cx, y-cy
	return dx*dx+dy*dy <= r*r
}

func distToSegment(px, py float64, seg [4]float64) float64 {
	x1, y1, x2, y2 := seg[0], seg[1], seg[2], seg[3]
	dx, dy := x2-x1, y2-y1
	t := ((px-x1)*dx + (py-y1)*dy) / (dx*dx + dy*dy)
	t = max(0, min(1, t))
	ex, ey := px-(x1+t*dx), py-(y1+t*dy)
	return math.Sqrt(ex*ex + ey*ey)
}
