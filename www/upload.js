/* upload.js - direct-to-S3 uploads through sign_s3, no framework, no build step.
 *
 * For each chosen or dropped file up to the multipart threshold:
 *   0. the MD5 of the whole file, read in 2 MiB slices (Blob.slice, never
 *      the whole file in memory) into spark-md5 (window.SparkMD5, from npm,
 *      served by the page's own site); the row says "Hashing (MD5)... N %"
 *   1. POST /api/sign_s3 {"file_name": file.name, "file_type": file.type,
 *      "file_head": base64 of the file's first 4096 bytes,
 *      "file_size": file.size, "file_md5": base64 of the 16-byte MD5};
 *      sign_s3 checks the declared type against what those bytes are
 *      (libmagic), fills in the type when the browser does not know it, and
 *      signs Content-Length (file_size) and Content-MD5 (file_md5), so S3
 *      refuses any other bytes (403, or BadDigest)
 *   2. PUT the file to answer.signed_request with exactly answer.headers
 *      (each is part of the signature: the Content-Type, the Content-MD5,
 *      and for a type a browser would run, such as HTML or SVG,
 *      Content-Disposition: attachment) and no credentials; the browser
 *      sets Content-Length itself (a script may not), which is why it is
 *      signed but not in answer.headers
 *   3. show progress (XHR upload progress)
 *   4. POST /api/sign_s3/verify {"key": answer.key} (the form's
 *      data-verify-url; no call without it): sign_s3 reads the first bytes
 *      of what landed in S3 and answers {key, size, etag, file_type,
 *      detected_type, url}, and the row says "verified: image/png"; or 415
 *      when the content contradicts the type (sign_s3 then deletes the
 *      object), and the row fails with its words
 *   5. complete with a link to answer.url, or failed with the signer's or
 *      S3's error in words.
 *
 * A larger file goes up in parts (S3 multipart upload) through sign_s3's
 * /api/s3/multipart routes (the same protocol as Uppy Companion's):
 *   1. POST /api/s3/multipart {filename, type, metadata} -> {key, uploadId}
 *   2. GET  /api/s3/multipart/ID/batch?key=K&partNumbers=1,2,3
 *      -> {presignedUrls: {"1": url, ...}}, a few parts at a time, just
 *      before they go (the URLs expire)
 *   3. PUT each part (a slice of the file) to its URL, four at a time; a
 *      failed part is tried again alone (3 times, 0.5 s then 1 s then 2 s,
 *      each with a fresh URL from GET /api/s3/multipart/ID/N?key=K); S3's
 *      answer has the part's ETag header (the bucket's CORS rule must
 *      expose it: ExposeHeaders ["ETag"])
 *   4. POST /api/s3/multipart/ID/complete?key=K {parts: [{PartNumber, ETag}]}
 *      -> {location, key, bucket}
 *   Cancel aborts the PUTs in flight and calls DELETE /api/s3/multipart/ID?key=K,
 *   which makes S3 drop the parts already sent.
 *   5. POST /api/sign_s3/verify {"key"} as for a small file (no MD5 for
 *      parts: the parts' own MD5s would be one more read of the file).
 * The threshold is the form's data-multipart-threshold (bytes; the demo's
 * index.html says 8 MiB), else 100 MiB (Uppy's default too); the routes are
 * under the form's data-api (default /api).
 *
 * Copy it into your application: fileMd5(), signFile(), putFile() and
 * verifyUpload() are the steps of a small file, uploadMultipart() the steps
 * of a large one; the rest is the page. */
(function () {
  'use strict';

  var form = document.getElementById('upload-form');
  var input = document.getElementById('files');
  var drop = document.getElementById('drop');
  var list = document.getElementById('uploads');
  var signUrl = form.getAttribute('data-sign-url') || '/api/sign_s3';
  var api = form.getAttribute('data-api') || '/api';    /* the /s3/... routes */
  var verifyUrl = form.getAttribute('data-verify-url');  /* none: no verify call */

  var MIB = 1048576;
  var HEAD_BYTES = 4096;   /* sign_s3's limit for file_head, decoded */
  /* read for each file, so a page may change it */
  function threshold() { return Number(form.getAttribute('data-multipart-threshold')) || 100 * MIB; }
  var PARALLEL = 4;        /* parts in flight at once (also signed per call) */
  var RETRIES = 3;         /* tries again of one failed part */
  var RETRY_DELAY = 500;   /* ms before the first, doubling */
  var MIN_PART = 5 * MIB;  /* S3's smallest part (all but the last) */
  var MAX_PARTS = 1000;    /* what S3-compatible stores accept (AWS: 10,000) */
  var MD5_SLICE = 2 * MIB; /* bytes read at a time for the MD5 */

  /* The first bytes of a Blob as an ArrayBuffer (Blob.arrayBuffer where it
   * exists, FileReader elsewhere). */
  function readBytes(blob) {
    if (blob.arrayBuffer) return blob.arrayBuffer();
    return new Promise(function (resolve, reject) {
      var r = new FileReader();
      r.onload = function () { resolve(r.result); };
      r.onerror = function () { reject(r.error || new Error('cannot read the file')); };
      r.readAsArrayBuffer(blob);
    });
  }

  /* base64 (standard alphabet, padded) of an ArrayBuffer, in chunks so no
   * argument list gets long. */
  function base64(buffer) {
    var bytes = new Uint8Array(buffer), bin = '', CHUNK = 1024;
    for (var i = 0; i < bytes.length; i += CHUNK) {
      bin += String.fromCharCode.apply(null, bytes.subarray(i, i + CHUNK));
    }
    return btoa(bin);
  }

  /* file_head: base64 of file.slice(0, 4096). An empty file gives "", which
   * sign_s3 treats as no head. */
  function fileHead(file) {
    return readBytes(file.slice(0, HEAD_BYTES)).then(base64, function () {
      throw new Error('Could not read the file');
    });
  }

  /* The signer's JSON answer; an error answer ({statusCode, error,
   * message}) becomes an Error with the signer's message. */
  function readAnswer(res) {
    return res.text().then(function (text) {
      var body = null;
      try { body = JSON.parse(text); } catch (e) { /* not JSON */ }
      if (!res.ok) {
        var msg = body && body.message ? body.message : 'HTTP ' + res.status;
        throw new Error('The signer refused: ' + msg + ' (' + res.status + ')');
      }
      if (!body) throw new Error('The signer sent an unexpected answer');
      return body;
    });
  }

  function cancelled() {
    var e = new Error('The upload was cancelled');
    e.cancelled = true;
    return e;
  }

  /* Step 0: base64 of the MD5 of the whole file (what Content-MD5 carries),
   * read MD5_SLICE bytes at a time, so only one slice is in memory at once.
   * Resolves to null when spark-md5 is not on the page (the file then goes
   * without file_md5). onProgress(bytes hashed, size); stops on signal. */
  function fileMd5(file, onProgress, signal) {
    if (typeof SparkMD5 === 'undefined' || !SparkMD5.ArrayBuffer) return Promise.resolve(null);
    var spark = new SparkMD5.ArrayBuffer(), offset = 0;
    function step() {
      if (signal && signal.aborted) throw cancelled();
      if (offset >= file.size) return btoa(spark.end(true));   /* end(true): the raw 16 bytes */
      var end = Math.min(file.size, offset + MD5_SLICE);
      return readBytes(file.slice(offset, end)).then(function (buffer) {
        spark.append(buffer);
        offset = end;
        onProgress(offset, file.size);
        return step();
      }, function () {
        throw new Error('Could not read the file');
      });
    }
    return Promise.resolve().then(step);
  }

  /* Step 1: ask sign_s3 for a presigned PUT for exactly file.size bytes
   * (and, with md5, exactly those bytes). Resolves to its JSON answer;
   * rejects with an Error whose message is the signer's message. */
  function signFile(file, md5) {
    return fileHead(file).then(function (head) {
      var ask = { file_name: file.name, file_type: file.type || '', file_head: head,
                  file_size: file.size };
      if (md5) ask.file_md5 = md5;
      return fetch(signUrl, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(ask),
        credentials: 'same-origin'
      }).then(null, function () {
        throw new Error('Could not reach the signer at ' + signUrl);
      });
    }).then(readAnswer).then(function (body) {
      if (!body.signed_request) throw new Error('The signer sent an unexpected answer');
      return body;
    });
  }

  /* S3 errors are XML: <Error><Code>..</Code><Message>..</Message></Error> */
  function s3Error(xhr) {
    var code = '', message = '';
    try {
      var doc = new DOMParser().parseFromString(xhr.responseText || '', 'application/xml');
      var c = doc.getElementsByTagName('Code')[0];
      var m = doc.getElementsByTagName('Message')[0];
      code = c ? c.textContent : '';
      message = m ? m.textContent : '';
    } catch (e) { /* not XML */ }
    var words = 'S3 refused the upload (HTTP ' + xhr.status + ')';
    if (code) words += ': ' + code;
    if (message) words += ' — ' + message;
    return new Error(words);
  }

  /* One upload to S3: body sent to url with exactly headers, no
   * credentials. Resolves to the XHR (its response headers) on a 2xx;
   * stops when signal is aborted (the Cancel button). */
  function send(method, url, body, headers, onProgress, signal) {
    return new Promise(function (resolve, reject) {
      if (signal && signal.aborted) { reject(cancelled()); return; }
      var xhr = new XMLHttpRequest();
      xhr.open(method, url);
      xhr.withCredentials = false;
      Object.keys(headers).forEach(function (h) { xhr.setRequestHeader(h, headers[h]); });
      xhr.upload.onprogress = function (e) {
        if (e.lengthComputable) onProgress(e.loaded, e.total);
      };
      if (signal) signal.addEventListener('abort', function () { xhr.abort(); });
      xhr.onload = function () {
        if (xhr.status >= 200 && xhr.status < 300) resolve(xhr);
        else reject(s3Error(xhr));
      };
      xhr.onerror = function () {
        /* The browser hides the reason: no connection, or an answer without
         * CORS headers (some S3 servers send none with a refusal such as an
         * expired link), or no CORS rule on the bucket for this page. */
        reject(new Error('S3 gave no answer this page may read: a network error, ' +
          'or a refusal without CORS headers (an expired or wrong upload link, ' +
          'or no CORS rule on the bucket for this page)'));
      };
      xhr.onabort = function () { reject(cancelled()); };
      xhr.send(body);
    });
  }

  /* Step 2: PUT the bytes with exactly the signed headers (every one in
   * signed.headers: S3 refuses the PUT if one is missing), no credentials. */
  function putFile(file, signed, onProgress, signal) {
    var headers = signed.headers || { 'Content-Type': signed.file_type };
    return send(signed.method || 'PUT', signed.signed_request, file, headers, onProgress, signal)
      .then(function () { return signed; });
  }

  /* Step 4: POST verifyUrl {key}. Resolves to sign_s3's answer {key, size,
   * etag, file_type, detected_type, url}; a 415 (the content is not what its
   * type says: sign_s3 has deleted the object) rejects with sign_s3's words
   * and err.refused; any other refusal rejects as "not verified". */
  function verifyUpload(key, signal) {
    return fetch(verifyUrl, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ key: key }),
      credentials: 'same-origin',
      signal: signal
    }).then(function (res) {
      return res.text().then(function (text) {
        var body = null;
        try { body = JSON.parse(text); } catch (e) { /* not JSON */ }
        var msg = body && body.message ? body.message : 'HTTP ' + res.status;
        if (res.status === 415) {
          var e = new Error('sign_s3 refused what landed in S3, and removed it: ' + msg + ' (415)');
          e.refused = true;
          throw e;
        }
        if (!res.ok) throw new Error('Uploaded, but not verified: ' + msg + ' (' + res.status + ')');
        if (!body || typeof body.detected_type !== 'string') {
          throw new Error('Uploaded, but the verifier sent an unexpected answer');
        }
        return body;
      });
    }, function () {
      throw signal && signal.aborted ? cancelled() : new Error('Uploaded, but could not reach the verifier at ' + verifyUrl);
    });
  }

  /* ------------------------------------------------- multipart (large files) */

  /* A call to one of sign_s3's /api/s3 routes: JSON in and out. */
  function callApi(method, path, body, signal) {
    return fetch(api + path, {
      method: method,
      headers: body ? { 'Content-Type': 'application/json' } : {},
      body: body ? JSON.stringify(body) : undefined,
      credentials: 'same-origin',
      signal: signal
    }).then(readAnswer, function () {
      throw signal && signal.aborted ? cancelled() : new Error('Could not reach the signer at ' + api);
    });
  }

  function wait(ms, signal) {
    return new Promise(function (resolve, reject) {
      var t = setTimeout(resolve, ms);
      signal.addEventListener('abort', function () { clearTimeout(t); reject(cancelled()); });
    });
  }

  /* Steps 1-4 of a large file (see the top). Resolves to {key, url};
   * rejects with the first error that retries did not cure, after
   * telling S3 to drop the parts (DELETE), as Cancel (signal) does. */
  function uploadMultipart(file, onProgress, signal) {
    var q = encodeURIComponent;
    var size = Math.max(MIN_PART, Math.ceil(file.size / MAX_PARTS / MIB) * MIB);
    var count = Math.ceil(file.size / size);
    var stop = new AbortController();   /* Cancel, or a part that failed for good */
    signal.addEventListener('abort', function () { stop.abort(); });
    var up, path;                       /* the answer to create; its routes' prefix */
    var sent = [], parts = [], batches = [], next = 1;

    function progress(n, bytes) {       /* one bar over all the parts' bytes */
      sent[n] = bytes;
      onProgress(sent.reduce(function (a, b) { return a + (b || 0); }, 0), file.size);
    }

    /* Step 2: part n's URL, signed with the rest of its batch of PARALLEL
     * in one call, when the first of them is about to go. */
    function batchUrl(n) {
      var b = Math.floor((n - 1) / PARALLEL), nums = [];
      if (!batches[b]) {
        for (var i = b * PARALLEL + 1; i <= Math.min(count, (b + 1) * PARALLEL); i++) nums.push(i);
        batches[b] = callApi('GET', path + '/batch?key=' + q(up.key) + '&partNumbers=' + nums.join(','),
          null, stop.signal);
      }
      return batches[b].then(function (r) { return r.presignedUrls[n]; });
    }

    /* Step 3: PUT part n; on failure again alone, with a fresh URL. */
    function putPart(n, attempt) {
      var blob = file.slice((n - 1) * size, Math.min(file.size, n * size));
      var url = attempt === 0 ? batchUrl(n) :
        callApi('GET', path + '/' + n + '?key=' + q(up.key), null, stop.signal)
          .then(function (r) { return r.url; });
      return url.then(function (u) {
        if (!u) throw new Error('The signer sent no URL for part ' + n);
        return send('PUT', u, blob, {}, function (loaded) { progress(n, loaded); }, stop.signal);
      }).then(function (xhr) {
        var etag = xhr.getResponseHeader('ETag');
        if (!etag) {
          throw new Error('S3 sent no ETag this page may read: the bucket\'s CORS rule must ' +
            'expose it (ExposeHeaders: ["ETag"])');
        }
        progress(n, blob.size);
        parts.push({ PartNumber: n, ETag: etag });
      }, function (err) {
        if (err.cancelled) throw err;
        if (attempt >= RETRIES) throw new Error('Part ' + n + ' of ' + count + ', tried ' +
          (RETRIES + 1) + ' times: ' + err.message);
        progress(n, 0);
        return wait(RETRY_DELAY * Math.pow(2, attempt), stop.signal)
          .then(function () { return putPart(n, attempt + 1); });
      });
    }

    function worker() {                 /* takes the next part until none is left */
      if (next > count) return Promise.resolve();
      return putPart(next++, 0).then(worker);
    }

    /* Step 1 (not cancelled midway, so that a created upload is always known) */
    return callApi('POST', '/s3/multipart', { filename: file.name, type: file.type, metadata: {} })
      .then(function (r) {
        if (!r.uploadId || !r.key) throw new Error('The signer sent an unexpected answer');
        up = r;
        path = '/s3/multipart/' + q(r.uploadId);
        if (stop.signal.aborted) throw cancelled();
        onProgress(0, file.size);
        var workers = [];
        for (var i = 0; i < Math.min(PARALLEL, count); i++) workers.push(worker());
        return Promise.all(workers);
      }).then(function () {
        /* Step 4: S3 joins the parts, in order, into the object */
        parts.sort(function (a, b) { return a.PartNumber - b.PartNumber; });
        return callApi('POST', path + '/complete?key=' + q(up.key), { parts: parts }, stop.signal);
      }).then(function (done) {
        return { key: done.key || up.key, url: done.location };
      }, function (err) {
        stop.abort();                   /* the other parts stop too */
        if (!up) throw err;
        /* abort: S3 drops the parts it has */
        var rethrow = function () { throw err; };
        return callApi('DELETE', path + '?key=' + q(up.key)).then(rethrow, rethrow);
      });
  }

  function formatSize(n) {
    if (n < 1024) return n + ' B';
    if (n < 1048576) return (n / 1024).toFixed(1) + ' KB';
    return (n / 1048576).toFixed(1) + ' MB';
  }

  function addRow(file) {
    var li = document.createElement('li');
    var name = document.createElement('div');
    var bar = document.createElement('progress');
    var state = document.createElement('div');
    var cancel = document.createElement('button');
    name.className = 'name';
    name.textContent = file.name + ' (' + formatSize(file.size) + ')';
    bar.max = 100;
    bar.value = 0;
    bar.setAttribute('aria-label', 'Upload progress of ' + file.name);
    state.className = 'state';
    cancel.type = 'button';
    cancel.className = 'cancel';
    cancel.textContent = 'Cancel';
    cancel.setAttribute('aria-label', 'Cancel the upload of ' + file.name);
    li.appendChild(name);
    li.appendChild(bar);
    li.appendChild(cancel);
    li.appendChild(state);
    list.appendChild(li);
    return {
      set: function (s, text) {
        li.setAttribute('data-state', s);
        state.textContent = text;
        if (s === 'complete' || s === 'failed' || s === 'cancelled') cancel.remove();
      },
      state: function () { return li.getAttribute('data-state'); },
      text: function (t) { state.textContent = t; },
      onCancel: function (f) { cancel.addEventListener('click', f); },
      progress: function (p) { bar.value = p; },
      link: function (url, key) {
        var a = document.createElement('a');
        var k = document.createElement('span');
        a.href = url;
        a.textContent = 'Open the uploaded file';
        a.rel = 'noopener';
        a.target = '_blank';
        k.className = 'key';
        k.textContent = 'Stored as ' + key;
        state.appendChild(document.createTextNode(' '));
        state.appendChild(a);
        state.appendChild(k);
      },
      el: li
    };
  }

  function upload(file) {
    var row = addRow(file);
    var cancel = new AbortController();
    row.onCancel(function () { cancel.abort(); });
    function progress(loaded, total) {
      if (row.state() === 'signing') row.set('uploading', 'Uploading…');
      row.progress(total ? Math.round(loaded * 100 / total) : 100);
    }
    var done;
    if (file.size > threshold()) {
      row.set('signing', 'Signing…');
      row.el.setAttribute('data-multipart', '1');
      done = uploadMultipart(file, progress, cancel.signal);
    } else {
      row.set('hashing', 'Hashing (MD5)…');
      done = fileMd5(file, function (hashed, size) {
        var p = size ? Math.round(hashed * 100 / size) : 100;
        row.progress(p);
        row.text('Hashing (MD5)… ' + p + ' %');
      }, cancel.signal).then(function (md5) {
        if (md5) row.el.setAttribute('data-md5', md5);
        row.progress(0);
        row.set('signing', 'Signing…');
        return signFile(file, md5);
      }).then(function (signed) {
        row.set('uploading', 'Uploading…');
        return putFile(file, signed, progress, cancel.signal);
      });
    }
    return done.then(function (up) {
      row.progress(100);
      if (!verifyUrl) return up;
      row.set('verifying', 'Uploaded; verifying what landed…');
      return verifyUpload(up.key, cancel.signal).then(function (v) {
        row.el.setAttribute('data-detected-type', v.detected_type);
        up.verified = v;
        return up;
      });
    }).then(function (up) {
      row.set('complete', up.verified ? 'Upload complete, verified: ' + up.verified.detected_type + '.'
        : 'Upload complete.');
      row.el.setAttribute('data-key', up.key);
      row.el.setAttribute('data-url', up.url);
      row.link(up.url, up.key);
    }, function (err) {
      if (err.cancelled) row.set('cancelled', 'Upload cancelled.');
      else row.set('failed', 'Upload failed: ' + err.message);
      if (err.refused) row.el.setAttribute('data-refused', '1');
    });
  }

  function uploadAll(files) {
    Array.prototype.forEach.call(files, upload);
  }

  input.addEventListener('change', function () {
    uploadAll(input.files);
    input.value = '';
  });
  ['dragenter', 'dragover'].forEach(function (t) {
    drop.addEventListener(t, function (e) { e.preventDefault(); drop.classList.add('over'); });
  });
  ['dragleave', 'drop'].forEach(function (t) {
    drop.addEventListener(t, function (e) { e.preventDefault(); drop.classList.remove('over'); });
  });
  drop.addEventListener('drop', function (e) {
    if (e.dataTransfer && e.dataTransfer.files) uploadAll(e.dataTransfer.files);
  });
  /* keyboard: the label is focusable through its input; Enter/Space opens the picker */
  input.addEventListener('keydown', function (e) {
    if (e.key === 'Enter') { e.preventDefault(); input.click(); }
  });
})();
