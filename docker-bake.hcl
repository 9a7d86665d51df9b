# docker buildx bake            -> both images;   docker buildx bake encoder --push   -> multi-arch encoder
variable "REGISTRY" { default = "localhost:5000" }
variable "TAG" { default = "0.1.0" }

group "default" {
  targets = ["encoder", "decoder"]
}

target "encoder" {
  context    = "."
  dockerfile = "docker/encoder.Dockerfile"
  platforms  = ["linux/amd64", "linux/arm64"]
  tags       = ["${REGISTRY}/stae-encoder:${TAG}"]
}

target "decoder" {
  context    = "."
  dockerfile = "docker/decoder.Dockerfile"
  platforms  = ["linux/amd64"]
  tags       = ["${REGISTRY}/stae-decoder:${TAG}"]
}
