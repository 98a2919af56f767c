;;; driver.el --- tests/test_emacs.py's scenario in `emacs --batch'  -*- lexical-binding: t; -*-

;; Loads the user's snippet (editors/emacs/artifact-lsp-eglot.el) exactly as it is, opens a
;; manifest, waits until eglot's diagnostics are in flymake, runs `eglot-code-actions' the way
;; a user does (M-x eglot-code-actions RET: the default, i.e. preferred, action) on the `id'
;; key, waits until the server's new diagnostics are in, and writes what it saw as JSON.
;; Waits are on state (the predicate), with a deadline only so a broken setup cannot hang.
;;
;; Environment: ARTIFACT_LSP_SNIPPET (the snippet), ARTIFACT_LSP_FILE (the manifest),
;; ARTIFACT_LSP_OUT (the JSON report).

(require 'package)
(package-initialize)
(load (getenv "ARTIFACT_LSP_SNIPPET") nil t)
(require 'eglot)
(require 'flymake)
(require 'json)
(require 'cl-lib)

(defvar driver-report nil)
(defun driver-note (key value) (push (cons key value) driver-report))

(defun driver-finish (status)
  (driver-note 'status status)
  (with-temp-file (getenv "ARTIFACT_LSP_OUT")
    (insert (json-encode driver-report)))
  (kill-emacs 0))

(defun driver-wait (what predicate &optional seconds)
  "Let timers and processes run (as the command loop would) until PREDICATE holds."
  (let ((deadline (+ (float-time) (or seconds 90))))
    (while (not (funcall predicate))
      (when (> (float-time) deadline)
        (driver-note 'waited-for what)
        (driver-note 'diagnostics (driver-diagnostics))
        (when (eglot-current-server)
          (driver-note 'events (with-current-buffer (jsonrpc-events-buffer (eglot-current-server))
                                 (buffer-substring-no-properties (max (point-min) (- (point-max) 20000)) (point-max)))))
        (driver-note 'messages (with-current-buffer "*Messages*" (buffer-string)))
        (driver-finish "timeout"))
      (run-hooks 'post-command-hook)
      ;; batch Emacs is never idle: run the idle timers (eglot sends didChange from one,
      ;; flymake starts its checks from one) as the command loop does when the user pauses
      (dolist (timer (copy-sequence timer-idle-list))
        (timer-event-handler timer))
      (accept-process-output nil 0.05))))

(defun driver-diagnostics ()
  (mapcar (lambda (d)
            (save-excursion
              (goto-char (flymake-diagnostic-beg d))
              `((line . ,(line-number-at-pos))
                (column . ,(- (point) (line-beginning-position)))  ; code points
                (end . ,(- (flymake-diagnostic-end d) (flymake-diagnostic-beg d)))
                (type . ,(symbol-name (flymake-diagnostic-type d)))
                (text . ,(flymake-diagnostic-text d)))))
          (sort (flymake-diagnostics) (lambda (a b) (< (flymake-diagnostic-beg a) (flymake-diagnostic-beg b))))))

(defun driver-fresh-p ()
  "Every legacy-key diagnostic covers a key: flymake holds the server's report of this
text, not old regions the edit moved."
  (cl-every (lambda (d)
              (or (not (string-match-p "\\[AL10[0-8]\\]" (flymake-diagnostic-text d)))
                  (and (< (flymake-diagnostic-beg d) (flymake-diagnostic-end d))
                       (eq (char-after (flymake-diagnostic-end d)) ?:))))
            (flymake-diagnostics)))

(defun driver-has (code)
  (cl-some (lambda (d) (string-match-p (regexp-quote (format "[%s]" code)) (flymake-diagnostic-text d)))
           (flymake-diagnostics)))

(condition-case err
    (progn
      (find-file (getenv "ARTIFACT_LSP_FILE"))
      (driver-note 'major-mode (symbol-name major-mode))
      (run-hooks 'post-command-hook)  ; eglot-ensure connects when the command that opened the file ends
      (driver-wait "eglot to manage the buffer" (lambda () (bound-and-true-p eglot--managed-mode)))
      (driver-note 'server-command (process-command (jsonrpc--process (eglot-current-server))))
      (driver-wait "diagnostics in flymake" (lambda () (driver-has "AL104")))
      (driver-note 'before (driver-diagnostics))
      ;; the quick fixes on the `id' key, as a list (what the menu offers) ...
      (goto-char (point-min))
      (search-forward "- id:")
      (backward-char 3)
      (driver-note 'offered (mapcar (lambda (a) (plist-get a :title))
                                    (eglot-code-actions (point) (1+ (point)))))
      ;; ... then M-x eglot-code-actions RET: completing-read answers with its default
      (cl-letf (((symbol-function 'completing-read)
                 (lambda (_prompt _collection &optional _pred _req _init _hist def &rest _) def)))
        (let ((last-nonmenu-event ?\r))  ; from the keyboard, not a mouse menu
          (eglot-code-actions (point) (1+ (point)) nil t)))
      (driver-note 'text-after-fix (buffer-substring-no-properties (point-min) (point-max)))
      (driver-wait "diagnostics of the fixed text"
                   (lambda () (and (not (driver-has "AL104")) (driver-has "AL105") (driver-fresh-p))))
      (driver-note 'after (driver-diagnostics))
      ;; any other YAML file: plain yaml-mode, no server
      (find-file (expand-file-name "other.yml" (file-name-directory (getenv "ARTIFACT_LSP_FILE"))))
      (run-hooks 'post-command-hook)
      (driver-note 'other-mode (symbol-name major-mode))
      (driver-note 'other-managed (if (bound-and-true-p eglot--managed-mode) t :json-false))
      (driver-finish "ok"))
  (error (driver-note 'error (format "%S" err))
         (driver-note 'messages (with-current-buffer "*Messages*" (buffer-string)))
         (driver-finish "error")))

;;; driver.el ends here
