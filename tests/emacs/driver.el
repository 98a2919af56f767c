;;; driver.el --- tests/test_emacs.py's scenario in `emacs --batch'  -*- lexical-binding: t; -*-

;; Loads the user's snippet (editors/emacs/artifact-lsp-eglot.el) exactly as it is, opens a
;; manifest, waits until eglot's diagnostics are in flymake, runs `eglot-code-actions' the way
;; a user does (M-x eglot-code-actions RET: the default, i.e. preferred, action) on the `id'
;; key, waits until the server's new diagnostics are in, and writes what it saw as JSON.
;; Waits are on state (the predicate), with a deadline only so a broken setup cannot hang.
;;
;; With lsp-mode instead of eglot (ARTIFACT_LSP_CLIENT=lsp-mode) the same steps run through
;; lsp-mode's commands; the quick fix is the preferred action of `lsp-code-actions-at-point',
;; run by `lsp-execute-code-action' (what picking it from the menu does).
;;
;; Environment: ARTIFACT_LSP_SNIPPET (the snippet), ARTIFACT_LSP_FILE (the manifest),
;; ARTIFACT_LSP_OUT (the JSON report), ARTIFACT_LSP_CLIENT (eglot, the default, or lsp-mode).

(require 'package)
(package-initialize)
(require 'flymake)
(require 'json)
(require 'cl-lib)
(defvar driver-lsp-mode (equal (getenv "ARTIFACT_LSP_CLIENT") "lsp-mode"))
(when driver-lsp-mode
  ;; what a user answers once (the project root) and a quiet session in a private folder
  (setq lsp-auto-guess-root t
        lsp-session-file (expand-file-name "lsp-session" (file-name-directory (getenv "ARTIFACT_LSP_OUT")))
        lsp-enable-file-watchers nil
        lsp-diagnostics-provider :flymake
        lsp-headerline-breadcrumb-enable nil
        lsp-modeline-code-actions-enable nil
        lsp-modeline-diagnostics-enable nil
        lsp-lens-enable nil)
  (require 'lsp-mode))
(load (getenv "ARTIFACT_LSP_SNIPPET") nil t)
(unless driver-lsp-mode (require 'eglot))

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
        (when (and (not driver-lsp-mode) (eglot-current-server))
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
              (or (not (string-match-p "legacy key '" (flymake-diagnostic-text d)))
                  (and (< (flymake-diagnostic-beg d) (flymake-diagnostic-end d))
                       (eq (char-after (flymake-diagnostic-end d)) ?:))))
            (flymake-diagnostics)))

(defun driver-has (needle)
  "A flymake diagnostic whose text has NEEDLE (eglot: \"[AL104]\"; lsp-mode shows the message only)."
  (cl-some (lambda (d) (string-match-p (regexp-quote needle) (flymake-diagnostic-text d)))
           (flymake-diagnostics)))

(defconst driver-id (if driver-lsp-mode "'artifacts[0].id'" "[AL104]"))
(defconst driver-prewarm (if driver-lsp-mode "'artifacts[0].image_prewarm'" "[AL105]"))

(defun driver-managed-p ()
  (if driver-lsp-mode
      (and (bound-and-true-p lsp-mode) (lsp-workspaces)
           (eq (lsp--workspace-status (car (lsp-workspaces))) 'initialized))
    (bound-and-true-p eglot--managed-mode)))

(defun driver-server-command ()
  (process-command
   (if driver-lsp-mode
       (lsp--workspace-proc (car (lsp-workspaces)))
     (jsonrpc--process (eglot-current-server)))))

(defun driver-offered ()
  (mapcar (lambda (a) (plist-get a :title))
          (if driver-lsp-mode
              (mapcar (lambda (a) (list :title (lsp:code-action-title a))) (lsp-code-actions-at-point))
            (eglot-code-actions (point) (1+ (point))))))

(defun driver-apply-preferred ()
  (if driver-lsp-mode
      (lsp-execute-code-action
       (cl-find-if #'lsp:code-action-is-preferred? (lsp-code-actions-at-point)))
    ;; M-x eglot-code-actions RET: completing-read answers with its default
    (cl-letf (((symbol-function 'completing-read)
               (lambda (_prompt _collection &optional _pred _req _init _hist def &rest _) def)))
      (let ((last-nonmenu-event ?\r))  ; from the keyboard, not a mouse menu
        (eglot-code-actions (point) (1+ (point)) nil t)))))

(condition-case err
    (progn
      (find-file (getenv "ARTIFACT_LSP_FILE"))
      (driver-note 'major-mode (symbol-name major-mode))
      (run-hooks 'post-command-hook)  ; eglot-ensure connects when the command that opened the file ends
      (driver-wait "the client to manage the buffer" #'driver-managed-p)
      (driver-note 'server-command (driver-server-command))
      (driver-wait "diagnostics in flymake" (lambda () (driver-has driver-id)))
      (driver-note 'before (driver-diagnostics))
      ;; the quick fixes on the `id' key, as a list (what the menu offers) ...
      (goto-char (point-min))
      (search-forward "- id:")
      (backward-char 3)
      (driver-note 'offered (driver-offered))
      ;; ... then the preferred one, as the user picks it
      (driver-apply-preferred)
      (driver-note 'text-after-fix (buffer-substring-no-properties (point-min) (point-max)))
      (driver-wait "diagnostics of the fixed text"
                   (lambda () (and (not (driver-has driver-id)) (driver-has driver-prewarm) (driver-fresh-p))))
      (driver-note 'after (driver-diagnostics))
      ;; any other YAML file: plain yaml-mode, no server
      (find-file (expand-file-name "other.yml" (file-name-directory (getenv "ARTIFACT_LSP_FILE"))))
      (run-hooks 'post-command-hook)
      (driver-note 'other-mode (symbol-name major-mode))
      (driver-note 'other-managed (if (or (bound-and-true-p eglot--managed-mode) (bound-and-true-p lsp-mode)) t :json-false))
      (driver-finish "ok"))
  (error (driver-note 'error (format "%S" err))
         (driver-note 'messages (with-current-buffer "*Messages*" (buffer-string)))
         (driver-finish "error")))

;;; driver.el ends here
