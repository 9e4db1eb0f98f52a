# The image the docker-compose stack builds for the API, the worker and the migrations.
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml constraints.txt README.md ./
# The package carries everything it reads at run time, the `loanwatch neo4j` tooling's Maven
# project included (built, when used, in the user's cache, never in here). This image has
# no Java: the stack's Neo4j is the compose service.
COPY loanwatch ./loanwatch
COPY api ./api
COPY schema ./schema
COPY graph ./graph
COPY risk ./risk
COPY jobs ./jobs
COPY auth ./auth
COPY seeds ./seeds
COPY portfolio ./portfolio
COPY ingest ./ingest
COPY notifications ./notifications
RUN pip install --no-cache-dir -c constraints.txt .
USER nobody
EXPOSE 8000
CMD ["loanwatch", "serve", "--host", "0.0.0.0", "--allow-remote"]
