/* upload.js - direct-to-S3 uploads through sign_s3, no framework, no build step.
 *
 * For each chosen or dropped file:
 *   1. POST /api/sign_s3 {"file_name": file.name, "file_type": file.type,
 *      "file_head": base64 of the file's first 4096 bytes}; sign_s3 checks
 *      the declared type against what those bytes are (libmagic) and fills
 *      in the type when the browser does not know it
 *   2. PUT the file to answer.signed_request with exactly answer.headers
 *      (each is part of the signature: the Content-Type, and for a type a
 *      browser would run, such as HTML or SVG, Content-Disposition:
 *      attachment) and no credentials
 *   3. show progress (XHR upload progress), then complete with a link to
 *      answer.url, or failed with the signer's or S3's error in words.
 *
 * Copy it into your application: signFile() and putFile() are the two
 * steps; the rest is the page. */
(function () {
  'use strict';

  var form = document.getElementById('upload-form');
  var input = document.getElementById('files');
  var drop = document.getElementById('drop');
  var list = document.getElementById('uploads');
  var signUrl = form.getAttribute('data-sign-url') || '/api/sign_s3';

  var HEAD_BYTES = 4096;   /* sign_s3's limit for file_head, decoded */

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

  /* Step 1: ask sign_s3 for a presigned PUT. Resolves to its JSON answer;
   * rejects with an Error whose message is the signer's message. */
  function signFile(file) {
    return fileHead(file).then(function (head) {
      return fetch(signUrl, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ file_name: file.name, file_type: file.type || '',
                               file_head: head }),
        credentials: 'same-origin'
      }).then(null, function () {
        throw new Error('Could not reach the signer at ' + signUrl);
      });
    }).then(function (res) {
      return res.text().then(function (text) {
        var body = null;
        try { body = JSON.parse(text); } catch (e) { /* not JSON */ }
        if (!res.ok) {
          var msg = body && body.message ? body.message : 'HTTP ' + res.status;
          throw new Error('The signer refused: ' + msg + ' (' + res.status + ')');
        }
        if (!body || !body.signed_request) {
          throw new Error('The signer sent an unexpected answer');
        }
        return body;
      });
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

  /* Step 2: PUT the bytes with exactly the signed headers (every one in
   * signed.headers: S3 refuses the PUT if one is missing), no credentials. */
  function putFile(file, signed, onProgress) {
    return new Promise(function (resolve, reject) {
      var xhr = new XMLHttpRequest();
      xhr.open(signed.method || 'PUT', signed.signed_request);
      xhr.withCredentials = false;
      var headers = signed.headers || { 'Content-Type': signed.file_type };
      Object.keys(headers).forEach(function (h) { xhr.setRequestHeader(h, headers[h]); });
      xhr.upload.onprogress = function (e) {
        if (e.lengthComputable) onProgress(e.loaded, e.total);
      };
      xhr.onload = function () {
        if (xhr.status >= 200 && xhr.status < 300) resolve(signed);
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
      xhr.onabort = function () { reject(new Error('The upload was cancelled')); };
      xhr.send(file);
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
    name.className = 'name';
    name.textContent = file.name + ' (' + formatSize(file.size) + ')';
    bar.max = 100;
    bar.value = 0;
    bar.setAttribute('aria-label', 'Upload progress of ' + file.name);
    state.className = 'state';
    li.appendChild(name);
    li.appendChild(bar);
    li.appendChild(state);
    list.appendChild(li);
    return {
      set: function (s, text) { li.setAttribute('data-state', s); state.textContent = text; },
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
    row.set('signing', 'Signing…');
    return signFile(file).then(function (signed) {
      row.set('uploading', 'Uploading…');
      return putFile(file, signed, function (loaded, total) {
        row.progress(Math.round(loaded * 100 / total));
      });
    }).then(function (signed) {
      row.progress(100);
      row.set('complete', 'Upload complete.');
      row.el.setAttribute('data-key', signed.key);
      row.el.setAttribute('data-url', signed.url);
      row.link(signed.url, signed.key);
    }, function (err) {
      row.set('failed', 'Upload failed: ' + err.message);
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
