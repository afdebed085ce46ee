package inspect

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"testing"
)

// Sample files of each common type, made here (encoders of the standard
// library, or the format's documented header), never downloaded.

func testImage() image.Image {
	img := image.NewRGBA(image.Rect(0, 0, 16, 16))
	for i := range img.Pix {
		img.Pix[i] = byte(i * 7)
	}
	return img
}

func samplePNG(t testing.TB) []byte {
	var b bytes.Buffer
	if err := png.Encode(&b, testImage()); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func sampleJPEG(t testing.TB) []byte {
	var b bytes.Buffer
	if err := jpeg.Encode(&b, testImage(), nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func sampleGIF(t testing.TB) []byte {
	var b bytes.Buffer
	p := image.NewPaletted(image.Rect(0, 0, 8, 8), color.Palette{color.Black, color.White})
	if err := gif.Encode(&b, p, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// riff is a RIFF container: "RIFF", size, form type, then one chunk.
func riff(form, chunk string, data []byte) []byte {
	var b bytes.Buffer
	b.WriteString("RIFF")
	binary.Write(&b, binary.LittleEndian, uint32(4+8+len(data)))
	b.WriteString(form)
	b.WriteString(chunk)
	binary.Write(&b, binary.LittleEndian, uint32(len(data)))
	b.Write(data)
	return b.Bytes()
}

func sampleWebP() []byte { return riff("WEBP", "VP8 ", make([]byte, 32)) }
func sampleWAV() []byte  { return riff("WAVE", "fmt ", make([]byte, 16)) }

// sampleMP4 is an ISO BMFF file: an ftyp box (major brand isom), then mdat.
func sampleMP4() []byte {
	var b bytes.Buffer
	binary.Write(&b, binary.BigEndian, uint32(24))
	b.WriteString("ftypisom")
	binary.Write(&b, binary.BigEndian, uint32(0x200))
	b.WriteString("isomiso2")
	binary.Write(&b, binary.BigEndian, uint32(16))
	b.WriteString("mdat")
	b.Write(make([]byte, 8))
	return b.Bytes()
}

func samplePDF() []byte {
	return []byte("%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n")
}

func zipOf(t testing.TB, files ...string) []byte {
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	for i := 0; i < len(files); i += 2 {
		f, err := w.Create(files[i])
		if err != nil {
			t.Fatal(err)
		}
		f.Write([]byte(files[i+1]))
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

const contentTypesXML = `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"></Types>`

func sampleZIP(t testing.TB) []byte {
	return zipOf(t, "readme.txt", "hello", "data/a.bin", "\x00\x01")
}

func sampleDOCX(t testing.TB) []byte {
	return zipOf(t, "[Content_Types].xml", contentTypesXML, "word/document.xml", `<w:document/>`)
}

func sampleXLSX(t testing.TB) []byte {
	return zipOf(t, "[Content_Types].xml", contentTypesXML, "xl/workbook.xml", `<workbook/>`)
}

func sampleGzip(t testing.TB) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write([]byte("hello hello hello"))
	w.Close()
	return b.Bytes()
}

const (
	sampleHTML = "<!DOCTYPE html><html><head><title>x</title></head><body><script>alert(1)</script></body></html>\n"
	sampleSVG  = `<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>` + "\n"
	sampleJSON = `{"name":"a","items":[1,2,3],"ok":true}` + "\n"
	sampleText = "Hello, this is a plain text file.\nIt has two lines.\n"
	sampleCSV  = "name,age,city\nalice,30,hangzhou\nbob,25,beijing\n"
	sampleXML  = `<?xml version="1.0" encoding="UTF-8"?><note><to>a</to></note>` + "\n"
)
