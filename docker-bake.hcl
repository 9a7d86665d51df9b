# docker buildx bake -f docker-bake.hcl                  -> both images (name this file: without -f, bake also
#                                                           reads docker-compose.yml and asks for its secrets)
# docker buildx bake -f docker-bake.hcl encoder --push   -> the amd64+arm64 encoder manifest (needs buildx with a
#                                                           container driver or arm64 builders, and a registry)
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
