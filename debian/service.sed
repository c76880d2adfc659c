# service.sed - debian/sign-s3.service from contrib/sign_s3.service
# (sed -f, run by debian/rules), so the hardening exists once. What changes:
# - the header: how to install by hand becomes how the package does it;
# - the socket comes from sign-s3.socket (socket activation, sd_listen_fds):
#   no --listen, no RuntimeDirectory (stopping the service would remove
#   /run/sign_s3 and the socket in it) and no chgrp of it (the socket unit
#   sets SocketGroup=www-data, SocketMode=0660);
# - /usr/bin/sign_s3, and [Install] enables the socket with the service.
# debian/rules checks the result (ExecStart, Requires, nothing of the above
# left) and tests/deb_package.sh that every hardening line came through.
1i\
# sign-s3.service - sign_s3 as a FastCGI responder for nginx (or Apache\
# mod_proxy_fcgi), started by sign-s3.socket on /run/sign_s3/sign_s3.sock\
# (socket activation: systemd passes the socket, sign_s3's prefork workers\
# serve it). Made from contrib/sign_s3.service (debian/service.sed).\
#\
# Configure, then enable:\
#   editor /etc/sign_s3/sign_s3.conf        # root:sign_s3 0640\
#   systemctl enable --now sign-s3.socket\
#   journalctl -u sign-s3                   # its log\
# After editing the configuration: systemctl restart sign-s3.service\
#\
# Who may connect to the socket may send any REMOTE_USER (and any other\
# FastCGI parameter): only the web server may. sign-s3.socket makes it\
# root:www-data 0660 (SocketGroup=, SocketMode=: change the group there,\
# with systemctl edit sign-s3.socket, for another web server user).\
#\
# Stop/restart: SIGTERM; every worker finishes the request in progress and\
# answers what is queued; the socket stays with systemd, which queues new\
# connections and starts the service again on the next one.
1,/^\[Unit\]/{
/^#/d
/^$/d
}
/^After=network.target$/c\
Requires=sign-s3.socket\
After=network.target sign-s3.socket
s|^ExecStart=/usr/local/bin/sign_s3 --listen unix:/run/sign_s3/sign_s3.sock$|ExecStart=/usr/bin/sign_s3|
/^RuntimeDirectory/d
/^ExecStartPre=/d
/^# '+': runs as root, to hand the directory/d
/^# set-group-ID, so that the socket made in it/d
/^WantedBy=multi-user.target$/c\
Also=sign-s3.socket
