// Package packaging holds no code: its tests check the container packaging
// (Dockerfile, docker-compose.yml, .dockerignore, .env.example and the
// PostgreSQL init script) without a Docker engine, so a change that publishes
// the metrics port, gives a secret a default, runs as root or drops a
// healthcheck fails `go test` instead of surfacing on someone's laptop.
package packaging
