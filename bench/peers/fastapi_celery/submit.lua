-- wrk script: POST a clip job (used against clipforge and the peer alike).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = os.getenv("BENCH_BODY")
