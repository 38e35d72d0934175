"""`build --image`: the build context built into an OCI image by Docker, Podman or buildah,
labelled, then proven inside the image as `--venv` proves an environment."""
